// Making children: the exec child (a straight-line program that runs
// between clone and execve, and the parent side that clones it and reads its
// error pipe), and the parent side of a task child (tasks.cc runs in it).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "container.h"
#include "syscall.h"
#include "tasks.h"

namespace lc {

// stdio slot `target` in the child becomes a copy of the parent's `source`,
// or is closed when `source` is -1.
struct FdAction {
  int target;
  int source;
};

// The steps of the child program, in the order it runs them. A failing step
// is reported to the parent as {step, errno} through the error pipe.
enum class ChildStep : int32_t {
  kSetsid = 1,
  kChdir,
  kPdeathsig,
  kDupFd,
  kCloseRange,
  kSigaction,
  kSigmask,
  kExecve,
  // Container steps (container.cc), in the order they run.
  kSetns,
  kForkIntoPidNamespace,
  kUnshareTime,
  kSyncRead,
  kWriteSetgroups,  // this and the next three are the parent's writes
  kWriteUidMap,
  kWriteGidMap,
  kWriteTimeOffsets,
  kEnterTime,
  kSethostname,
  kSetdomainname,
  kMountPrivate,
  kMount,  // index: the MountOp
  kRemountReadonly,
  kPivotRoot,
  kUmountOldRoot,
  kLoopback,
  kSetrlimit,  // index: the RlimitOp
  kNoNewPrivs,
  kSeccomp,
  // Reports that are not failures.
  kReady = 100,       // waiting on the sync pipe for the parent's writes
  kGrandchild = 101,  // value: the PID of the child forked into a PID namespace
};
const char* ChildStepSyscall(ChildStep step);

// Everything the child reads. It is built, and all its memory allocated,
// before the clone; the child only reads it.
struct ExecPlan {
  const char* file = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;  // nullptr: stay in the parent's cwd
  const FdAction* fds = nullptr;
  int fd_count = 0;
  int fd_limit = 0;   // RLIMIT_NOFILE, for kernels without close_range
  int error_fd = -1;  // write end of the error pipe
  int pdeathsig = 0;  // 0: none
  pid_t expected_ppid = 0;
  bool setsid = false;
  ContainerPlan* container = nullptr;  // nullptr: a plain process
};

// One report through the error pipe; 16 bytes, below PIPE_BUF, so it
// arrives whole.
struct ChildFailure {
  int32_t step = 0;   // a ChildStep, 0 when exec happened
  int32_t err = 0;    // positive errno
  int32_t index = 0;  // which mount or rlimit, for those steps
  int32_t value = 0;  // kGrandchild: its PID
};

// Ends the child with a report of `step` failing with -`err` (negative).
[[noreturn]] void FailChild(const ExecPlan* plan, ChildStep step, long err, int index = 0);
// Sends a report that is not a failure; the child goes on.
void ReportToParent(const ExecPlan* plan, ChildStep step, int value);

struct SpawnRequest {
  ExecPlan exec;
  uint64_t flags = 0;  // exactly what goes to the kernel, CLONE_PIDFD included
  int exit_signal = 0;
  int cgroup_fd = -1;  // with CLONE_INTO_CGROUP
  // Where CLONE_PARENT_SETTID / CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
  // write. With CLONE_VM the kernel clears child_tid at exec, so these live
  // as long as the request, past the clone.
  pid_t parent_tid = 0;
  pid_t child_tid = 0;
};

struct SpawnOutcome {
  pid_t pid = -1;
  int pidfd = -1;
  CloneVia via = CloneVia::kClone3;
  uint64_t started_ns = 0;
  ChildFailure failure;  // step != 0: the child failed before exec and was reaped
};

// Clones the exec child and waits until it has exec'd or failed. Returns 0
// (then see out->failure) or -errno from the clone itself.
int SpawnProcess(SpawnRequest* request, SpawnOutcome* out);

// What a task child runs on and reports into. It must outlive the child:
// freed only after the kernel has cleared the child's TID or after the reap.
struct TaskResources {
  Stack stack;
  Tls tls;
  TaskBlock* block = nullptr;
  size_t block_size = 0;
  void Free();
};

struct TaskRequest {
  uint64_t flags = 0;  // exactly what goes to the kernel
  int exit_signal = 0;
  size_t stack_size = 0;  // page-aligned
};

// Clones a child that runs the task in resources->block (already filled),
// allocating its stack and, with CLONE_SETTLS, its TLS. Returns 0 or -errno;
// on error nothing was cloned and the resources are freed.
int CloneTaskChild(const TaskRequest& request, TaskResources* resources, SpawnOutcome* out);

}  // namespace lc
