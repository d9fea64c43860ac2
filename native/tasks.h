// Native tasks: freestanding code a raw child runs instead of exec. It
// makes raw syscalls only, touches no libc state and allocates nothing, so
// it is safe in a thread of Node (CLONE_THREAD) as in a process.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>

#include "child_code.h"
#include "policy.h"

namespace lc {

enum class TaskKind : int32_t { kSumArray = 1, kWrite, kExit, kSleep, kSpin, kProbe, kFault, kProbeSharing };
enum class ElementType : int32_t {
  kInt8 = 1,
  kUint8,
  kUint8Clamped,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kFloat32,
  kFloat64,
  kBigInt64,
  kBigUint64,
};
enum class FaultKind : int32_t { kSegv = 1, kStackOverflow, kAbort };
enum class ValueKind : int32_t { kNone = 0, kNumber, kBigInt64, kBigUint64 };

// The signal kill() sends a task that shares Node's handlers (CLONE_SIGHAND,
// so every thread): tgkill for a thread, the pidfd for a process. Such a
// child keeps every signal blocked, so no handler of Node's runs in it; the
// task's waits consume this one with rt_sigtimedwait.
constexpr int kTaskCancelSignal = 64;  // SIGRTMAX: used by neither Node nor libuv

struct TaskProbe {
  int64_t pid;  // getpid(): the thread group
  int64_t tid;
  int64_t ppid;
  int64_t uid;
  int64_t gid;
  uint64_t thread_pointer;  // the fs base
  uint64_t stack_pointer;
};

constexpr uint64_t kProbeMagic = 0x6c696e75782d636cULL;  // "linux-cl"

// What the sharing probe changes from inside the child (the parent then
// looks at its own state), and what it reads there.
struct SharingProbe {
  // In: where and how to leave marks.
  uint64_t* word;     // in the parent's private memory: written with kProbeMagic
  int32_t umask;      // set in the child
  int32_t fd_source;  // dup3'd to fd_target in the child
  int32_t fd_target;
  int32_t semid;   // semop +1 with SEM_UNDO
  int32_t signal;  // set to SIG_IGN in the child
  // Out: as the child sees itself (from /proc/thread-self, which a new PID
  // namespace does not hide, unlike getppid()).
  int64_t tgid;
  int64_t ppid;
  uint64_t ns_inode[policy::kNamespaceCount];  // in lib/namespaces.ts's order
  int32_t semop_errno;
};

// One MAP_SHARED page (more for write's bytes): the parent reads it whatever
// the flags, even when the child has its own copy of everything else.
struct TaskBlock {
  // What to run; written by the parent before the clone.
  TaskKind kind;
  ElementType element_type;
  FaultKind fault;
  int32_t fd;
  int64_t arg;                // exit code, or milliseconds for sleep and spin
  const unsigned char* data;  // sumArray's elements (in the child's view of memory)
  uint64_t start;
  uint64_t end;
  uint64_t payload_size;    // write's bytes, stored after this struct
  int32_t shares_handlers;  // CLONE_SIGHAND: never touch dispositions or the mask
  int32_t is_thread;        // CLONE_THREAD: report rusage for the thread
  // A process that is Node's child (not CLONE_THREAD, not CLONE_PARENT):
  // SIGKILLed when the thread that cloned it ends, as when Node is killed.
  int32_t dies_with_parent;
  int64_t expected_ppid;  // getppid() while that parent lives

  // Written by the kernel (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID/CLEARTID).
  alignas(8) pid_t parent_tid;
  alignas(8) pid_t child_tid;

  // Written by the task.
  int32_t done;
  int32_t status;     // the task's exit code
  int32_t cancelled;  // a kill() ended it (threads)
  ValueKind value_kind;
  union {
    double number;
    int64_t i64;
    uint64_t u64;
  } value;
  TaskProbe probe;
  SharingProbe sharing;
  rusage usage;  // RUSAGE_THREAD, for threads (waitid reports processes)

  // Child code: write's task reads its bytes here.
  LC_CHILD_CODE unsigned char* payload() { return reinterpret_cast<unsigned char*>(this + 1); }
};

// The raw child's entry: runs block->kind, records the result, returns the
// exit code for the trampoline's SYS_exit.
int TaskChildMain(void* block);

}  // namespace lc
