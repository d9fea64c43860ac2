// The clone call itself: clone3 with a fallback to clone, made with every
// signal blocked, and the stacks and TLS children run on.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace lc {

// A private anonymous mapping the library made for a child.
struct Mapping {
  char* map = nullptr;
  size_t map_size = 0;
};
void Unmap(Mapping* mapping);

// An mmap'd stack with a PROT_NONE guard page below it, so an overflow
// faults instead of running into whatever is mapped underneath.
struct Stack : Mapping {
  char* base() const;   // lowest usable byte, above the guard page
  size_t size() const;  // usable bytes
  char* top() const { return map + map_size; }
};

size_t PageSize();
// `usable` must be page-aligned. Returns 0 or -errno.
int StackAllocate(size_t usable, Stack* out);

// A thread control block for CLONE_SETTLS, as x86_64 glibc lays it out: the
// first word (and `self`, two words on) point to the TCB itself, and the
// stack-protector and pointer guards are the creator's, so code built with
// -fstack-protector finds the canary it expects at %fs:0x28. The page below
// the TCB is mapped too, where static TLS would live.
struct Tls : Mapping {
  uint64_t tcb() const { return map == nullptr ? 0 : reinterpret_cast<uint64_t>(map + map_size / 2); }
};
int TlsAllocate(Tls* out);  // 0 or -errno

// Task children's memory, through a small per-thread cache: mapping and
// unmapping in a multi-threaded process costs TLB-shootdown IPIs, and a
// thread task is short. As glibc's stack cache, a few are kept for reuse.
// Release only memory no child can still use.
int TaskStackAllocate(size_t usable, Stack* out);
void TaskStackRelease(Stack* stack);
int TaskTlsAllocate(Tls* out);
void TaskTlsRelease(Tls* tls);
// A zeroed MAP_SHARED region the parent and any child see alike.
void* SharedAllocate(size_t size);  // nullptr on failure, errno set
void SharedRelease(void* map, size_t size);

enum class CloneVia { kClone3, kClone };

struct CloneRequest {
  uint64_t flags = 0;  // CLONE_* bits, without the exit signal
  int exit_signal = 0;
  const Stack* stack = nullptr;  // required: the child runs fn on it
  pid_t* parent_tid = nullptr;   // CLONE_PARENT_SETTID
  pid_t* child_tid = nullptr;    // CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
  uint64_t tls = 0;              // CLONE_SETTLS
  int cgroup_fd = -1;            // CLONE_INTO_CGROUP
};

// A child just made: what its handle needs.
struct CloneOutcome {
  pid_t pid = -1;
  int pidfd = -1;                    // with CLONE_PIDFD
  CloneVia via = CloneVia::kClone3;  // the syscall that made (or refused) it
  // The legacy clone cannot return a pidfd and a parent TID at once: it was
  // made without CLONE_PIDFD, and the pidfd opened by pidfd_open.
  bool pidfd_opened_after = false;
  uint64_t started_ns = 0;  // CLOCK_MONOTONIC just before the clone
};

// Clones a child that runs fn(arg) on request.stack and ends with SYS_exit
// and fn's result. Every signal is blocked around the clone, so the child
// starts with all of them blocked: no handler of Node's may run in a child
// that shares Node's memory before it has reset its dispositions. Returns 0
// (out->pid is the child's TID) or -errno; out->via is set either way.
int CloneCall(const CloneRequest& request, int (*fn)(void*), void* arg, CloneOutcome* out);

}  // namespace lc
