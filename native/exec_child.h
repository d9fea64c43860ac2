// The exec child: the straight-line program a cloned child runs between
// clone and execve, and the reports it leaves its parent (failures in the
// shared failure page, news through the report pipe). The parent's side of
// the clone is spawn.cc.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "container.h"

namespace lc {

// stdio slot `target` in the child becomes a copy of the parent's `source`,
// or is closed when `source` is -1.
struct FdAction {
  int target;
  int source;
};

// The steps of the child program, numbered in the order it runs them (the
// container steps only for a container). A failing step is reported to the
// parent as {step, errno} in the failure page.
enum class ChildStep : int32_t {
  kSetns = 1,
  kForkIntoPidNamespace,
  kUnshareTime,
  kSyncRead,
  kWriteSetgroups,  // this and the next three are the parent's writes
  kWriteUidMap,
  kWriteGidMap,
  kWriteTimeOffsets,
  kEnterTime,
  kSetsid,
  kSethostname,
  kSetdomainname,
  kMountPrivate,
  kMount,  // index: the MountOp
  kRemountReadonly,
  kPivotRoot,
  kUmountOldRoot,
  kLoopback,
  kSetrlimit,  // index: the RlimitOp
  kChdir,
  kPdeathsig,
  kDupFd,
  kMakeBlocking,
  kCloseRange,
  kSigaction,
  kSigmask,
  kSetgroups,
  kSetgid,
  kSetuid,
  kNoNewPrivs,
  kSeccomp,
  kExecve,
  // Reports that are not failures.
  kReady = 100,       // waiting on the sync pipe for the parent's writes
  kGrandchild = 101,  // value: the PID of the child forked into a PID namespace
};

// Everything the child reads. It is built, and all its memory allocated,
// before the clone; the child only reads it.
struct ExecPlan {
  const char* file = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;  // nullptr: stay in the parent's cwd
  const FdAction* fds = nullptr;
  int fd_count = 0;
  // Write end of the report pipe (EOF at exec), or -1: a CLONE_VFORK parent
  // without a handshake or a grandchild reads no pipe, only the page.
  int report_fd = -1;
  // A failure is written here: a MAP_SHARED page the parent mapped before
  // the clone, so no seccomp filter (which may deny write) can lose it.
  struct ChildReport* failure = nullptr;
  int pdeathsig = 0;  // 0: none
  // For the pdeathsig re-check: set only with a pdeathsig.
  pid_t expected_ppid = 0;
  int64_t uid = -1;  // setuid to this; -1: keep Node's
  int64_t gid = -1;  // setgid to this; -1: keep Node's
  bool setsid = false;
  bool new_mount_namespace = false;    // CLONE_NEWNS: make / private first
  ContainerPlan* container = nullptr;  // nullptr: a plain process
};

// One report: a failed step, written to the failure page, or (kReady,
// kGrandchild) news the parent acts on, written to the report pipe before
// any filter is loaded. 16 bytes, below PIPE_BUF, so it arrives whole.
struct ChildReport {
  int32_t step = 0;   // a ChildStep, 0 when exec happened
  int32_t err = 0;    // positive errno
  int32_t index = 0;  // which mount or rlimit, for those steps
  int32_t value = 0;  // kGrandchild: its PID
};

// Ends the child with a report of `step` failing with -`err` (negative),
// left in the failure page; the parent reads it once the child has ended.
[[noreturn]] void FailChild(const ExecPlan* plan, ChildStep step, long err, int index = 0);
// Sends a report that is not a failure; the child goes on.
void ReportToParent(const ExecPlan* plan, ChildStep step, int value);

// The child program: the clone's fn, with the ExecPlan as its argument.
int ExecChildMain(void* plan);

}  // namespace lc
