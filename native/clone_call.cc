#include "clone_call.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>

#include <string.h>

#include <atomic>
#include <vector>

#include "monotonic_clock.h"
#include "reap.h"

extern "C" long lc_clone3_call(struct clone_args* args, size_t size, int (*fn)(void*), void* arg);
extern "C" long lc_clone_call(unsigned long flags, void* stack_top, pid_t* parent_tid, pid_t* child_tid,
                              unsigned long tls, int (*fn)(void*), void* arg);

namespace lc {
namespace {

// Set once clone3 has said ENOSYS: a seccomp filter (older container
// runtimes) or a pre-5.3 kernel. The answer cannot change for this process.
std::atomic<bool> clone3_refused{false};

// A pidfd together with a parent TID: the legacy clone would return both
// through the same argument. For a child that is ours alone (not a thread,
// not our parent's child, which it could reap and its PID be reused) clone
// makes it without CLONE_PIDFD, and the pidfd is opened afterwards.
bool PidfdAndParentTid(const CloneRequest& r) {
  return (r.flags & CLONE_PIDFD) && (r.flags & CLONE_PARENT_SETTID);
}
bool PidfdOpenedAfter(const CloneRequest& r) {
  return PidfdAndParentTid(r) && !(r.flags & (CLONE_THREAD | CLONE_PARENT));
}

// What the legacy clone cannot say: the 64-bit flags, CLONE_NEWTIME (its bit
// is the exit-signal byte there), and a pidfd with a parent TID for a child
// whose pidfd cannot be opened afterwards.
bool LegacyCloneCanExpress(const CloneRequest& r) {
  if (r.flags >> 32) return false;
  if (r.flags & CLONE_NEWTIME) return false;
  if (PidfdAndParentTid(r) && !PidfdOpenedAfter(r)) return false;
  return r.exit_signal >= 0 && r.exit_signal <= 0xff;
}

long CallClone3(const CloneRequest& r, int* pidfd, int (*fn)(void*), void* arg) {
  struct clone_args args = {};
  args.flags = r.flags;
  args.pidfd = reinterpret_cast<uintptr_t>(pidfd);
  args.child_tid = reinterpret_cast<uintptr_t>(r.child_tid);
  args.parent_tid = reinterpret_cast<uintptr_t>(r.parent_tid);
  args.exit_signal = static_cast<uint64_t>(r.exit_signal);
  args.stack = reinterpret_cast<uintptr_t>(r.stack->base());
  args.stack_size = r.stack->size();
  args.tls = r.tls;
  args.cgroup = r.cgroup_fd >= 0 ? static_cast<uint64_t>(r.cgroup_fd) : 0;
  return lc_clone3_call(&args, sizeof args, fn, arg);
}

long CallLegacyClone(const CloneRequest& r, int* pidfd, int (*fn)(void*), void* arg) {
  uint64_t flags = r.flags;
  if (PidfdOpenedAfter(r)) flags &= ~static_cast<uint64_t>(CLONE_PIDFD);
  // clone returns the pidfd through parent_tid.
  pid_t* parent_slot = (flags & CLONE_PIDFD) ? reinterpret_cast<pid_t*>(pidfd) : r.parent_tid;
  unsigned long word = static_cast<unsigned long>(flags) | static_cast<unsigned long>(r.exit_signal);
  return lc_clone_call(word, r.stack->top(), parent_slot, r.child_tid, r.tls, fn, arg);
}

// The pidfd of a child cloned without CLONE_PIDFD. It is our child and not
// yet reaped, so its PID cannot name another process: opening by PID is
// race-free. Without a pidfd nobody could watch it, so it is ended.
int OpenPidfdAfter(pid_t pid, int* pidfd) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    *pidfd = static_cast<int>(fd);
    return 0;
  }
  const int err = errno;
  KillAndReap(P_PID, pid);
  return -err;
}

long CloneWithFallback(const CloneRequest& request, int* pidfd, int (*fn)(void*), void* arg, CloneVia* via) {
  if (!clone3_refused.load(std::memory_order_relaxed)) {
    *via = CloneVia::kClone3;
    long pid = CallClone3(request, pidfd, fn, arg);
    if (pid != -ENOSYS) return pid;
    clone3_refused.store(true, std::memory_order_relaxed);
  }
  if (!LegacyCloneCanExpress(request)) {
    *via = CloneVia::kClone3;
    return -ENOSYS;
  }
  *via = CloneVia::kClone;
  return CallLegacyClone(request, pidfd, fn, arg);
}

// Blocks every signal, glibc's internal ones too, for the duration of a
// clone; the raw syscall because pthread_sigmask silently keeps SIGCANCEL
// and SIGSETXID open.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    const unsigned long all = ~0UL;
    ok_ = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved_, sizeof saved_) == 0;
  }
  ~AllSignalsBlocked() {
    if (ok_) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved_, nullptr, sizeof saved_);
  }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;
  bool ok() const { return ok_; }

 private:
  unsigned long saved_ = 0;
  bool ok_ = false;
};

// What the task cache keeps per thread; unmapped when the thread ends.
constexpr size_t kCachedPerKind = 16;
struct TaskMemoryCache {
  std::vector<Stack> stacks;
  std::vector<Tls> tls;
  std::vector<void*> shared_pages;
  ~TaskMemoryCache() {
    for (Stack& stack : stacks) Unmap(&stack);
    for (Tls& block : tls) Unmap(&block);
    for (void* page : shared_pages) munmap(page, PageSize());
  }
};
thread_local TaskMemoryCache task_cache;

// Keeps `mapping` for reuse if the cache has room, else unmaps it.
template <typename T>
void Recycle(std::vector<T>* cache, T* mapping) {
  if (mapping->map == nullptr) return;
  if (cache->size() < kCachedPerKind) {
    cache->push_back(*mapping);
    *mapping = T();
  } else {
    Unmap(mapping);
  }
}

// Writes the TCB words of a fresh or reused TLS block.
void InitTcb(const Tls& tls) {
  uint64_t* tcb = reinterpret_cast<uint64_t*>(tls.tcb());
  uint64_t stack_guard;
  uint64_t pointer_guard;
  __asm__("mov %%fs:0x28, %0" : "=r"(stack_guard));
  __asm__("mov %%fs:0x30, %0" : "=r"(pointer_guard));
  memset(tls.map, 0, tls.map_size);
  tcb[0] = tls.tcb();  // tcb
  tcb[2] = tls.tcb();  // self
  tcb[0x28 / 8] = stack_guard;
  tcb[0x30 / 8] = pointer_guard;
}

}  // namespace

char* Stack::base() const { return map + PageSize(); }
size_t Stack::size() const { return map_size - PageSize(); }

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

int StackAllocate(size_t usable, Stack* out) {
  const size_t total = usable + PageSize();
  void* map = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) return -errno;
  if (mprotect(map, PageSize(), PROT_NONE) != 0) {
    int err = -errno;
    munmap(map, total);
    return err;
  }
  out->map = static_cast<char*>(map);
  out->map_size = total;
  return 0;
}

void Unmap(Mapping* mapping) {
  if (mapping->map == nullptr) return;
  munmap(mapping->map, mapping->map_size);
  mapping->map = nullptr;
  mapping->map_size = 0;
}

int TlsAllocate(Tls* out) {
  const size_t size = 2 * PageSize();
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return -errno;
  out->map = static_cast<char*>(map);
  out->map_size = size;
  InitTcb(*out);
  return 0;
}

int TaskStackAllocate(size_t usable, Stack* out) {
  std::vector<Stack>& cached = task_cache.stacks;
  for (size_t i = 0; i < cached.size(); i++) {
    if (cached[i].size() == usable) {
      *out = cached[i];
      cached[i] = cached.back();
      cached.pop_back();
      return 0;
    }
  }
  return StackAllocate(usable, out);
}

void TaskStackRelease(Stack* stack) { Recycle(&task_cache.stacks, stack); }

int TaskTlsAllocate(Tls* out) {
  if (task_cache.tls.empty()) return TlsAllocate(out);
  *out = task_cache.tls.back();
  task_cache.tls.pop_back();
  InitTcb(*out);
  return 0;
}

void TaskTlsRelease(Tls* tls) { Recycle(&task_cache.tls, tls); }

void* SharedAllocate(size_t size) {
  if (size == PageSize() && !task_cache.shared_pages.empty()) {
    void* page = task_cache.shared_pages.back();
    task_cache.shared_pages.pop_back();
    memset(page, 0, size);
    return page;
  }
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return map == MAP_FAILED ? nullptr : map;
}

void SharedRelease(void* map, size_t size) {
  if (map == nullptr) return;
  if (size == PageSize() && task_cache.shared_pages.size() < kCachedPerKind) {
    task_cache.shared_pages.push_back(map);
  } else {
    munmap(map, size);
  }
}

int CloneCall(const CloneRequest& request, int (*fn)(void*), void* arg, CloneOutcome* out) {
  long pid;
  {
    AllSignalsBlocked blocked;
    if (!blocked.ok()) return -errno;
    out->started_ns = MonotonicNs();
    pid = CloneWithFallback(request, &out->pidfd, fn, arg, &out->via);
  }
  if (pid < 0) return static_cast<int>(pid);
  if (out->via == CloneVia::kClone && PidfdOpenedAfter(request)) {
    out->pidfd_opened_after = true;
    int err = OpenPidfdAfter(static_cast<pid_t>(pid), &out->pidfd);
    if (err != 0) return err;
  }
  out->pid = static_cast<pid_t>(pid);
  return 0;
}

}  // namespace lc
