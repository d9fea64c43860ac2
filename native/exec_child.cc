#include "exec_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "child_signals.h"
#include "policy.h"
#include "raw_syscall.h"

namespace lc {
namespace {

LC_CHILD_CODE void WriteReport(const ExecPlan* plan, const ChildReport& report) {
  // All signals are blocked, so the write cannot be interrupted; the record
  // is below PIPE_BUF, so it lands whole or not at all. Only news goes this
  // way, sent before any seccomp filter is loaded, and only by a child whose
  // parent opened the pipe for it; failures go to the page.
  RawSyscall(SYS_write, plan->report_fd, reinterpret_cast<long>(&report), sizeof report);
}

// A program expects blocking stdio, and Node's libuv leaves its own fds (a
// stdout pipe, say) O_NONBLOCK: a child handed one would stop at the first
// EAGAIN. Like libuv for its children, the flag is cleared; the file
// description is shared, so Node's end turns blocking too, as with
// child_process.
LC_CHILD_CODE void MakeBlocking(const ExecPlan* plan, int fd) {
  long flags = RawSyscall(SYS_fcntl, fd, F_GETFL);
  if (flags < 0) FailChild(plan, ChildStep::kMakeBlocking, flags);
  if (!(flags & O_NONBLOCK)) return;
  long r = RawSyscall(SYS_fcntl, fd, F_SETFL, flags & ~static_cast<long>(O_NONBLOCK));
  if (r < 0) FailChild(plan, ChildStep::kMakeBlocking, r);
}

// The soft RLIMIT_NOFILE, capped at 65536: how far the close_range
// fallback walks. The child reads its own (the same as Node's, until a
// container's rlimits change it), so the parent makes no call for it.
LC_CHILD_CODE int OpenFdBound() {
  struct rlimit limit;
  limit.rlim_cur = 65536;
  RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&limit));
  return limit.rlim_cur > 65536 ? 65536 : static_cast<int>(limit.rlim_cur);
}

// Moves every source that a lower slot's dup2 could overwrite above the slot
// range first (libuv does the same): swapping stdout and stderr must not
// leave both on one file. `fd_bound` is OpenFdBound() as it was before any
// rlimit changed, or 0 if none did.
LC_CHILD_CODE void PlumbFds(const ExecPlan* plan, int fd_bound) {
  int sources[policy::kMaxStdioSlots];
  const int count = plan->fd_count;
  for (int i = 0; i < count; i++) {
    int source = plan->fds[i].source;
    if (source >= 0 && source < count && source != plan->fds[i].target) {
      long moved = RawSyscall(SYS_fcntl, source, F_DUPFD_CLOEXEC, count);
      if (moved < 0) FailChild(plan, ChildStep::kDupFd, moved);
      source = static_cast<int>(moved);
    }
    sources[i] = source;
  }
  for (int i = 0; i < count; i++) {
    const int target = plan->fds[i].target;
    if (sources[i] < 0) {
      // A slot the child gets closed: whatever Node has there closes at exec.
      long r = RawSyscall(SYS_fcntl, target, F_SETFD, FD_CLOEXEC);
      if (r < 0 && r != -EBADF) FailChild(plan, ChildStep::kDupFd, r);
      continue;
    }
    // dup2 clears close-on-exec on the copy; an fd already in place needs it
    // cleared by hand.
    long r = sources[i] == target ? RawSyscall(SYS_fcntl, target, F_SETFD, 0)
                                  : RawSyscall(SYS_dup2, sources[i], target);
    if (r < 0) FailChild(plan, ChildStep::kDupFd, r);
    MakeBlocking(plan, target);
  }
  // Everything above the slots closes at exec: Node's own descriptors, and
  // any a parent process left inheritable. A report pipe stays open until
  // the exec itself closes it.
  long r = RawSyscall(SYS_close_range, count, ~0U, CLOSE_RANGE_CLOEXEC);
  if (r == -ENOSYS || r == -EINVAL) {  // before Linux 5.11
    const int bound = fd_bound > 0 ? fd_bound : OpenFdBound();
    for (int fd = count; fd < bound; fd++) RawSyscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
  } else if (r < 0) {
    FailChild(plan, ChildStep::kCloseRange, r);
  }
}

// Node's handlers must never run here: the child may share Node's memory.
// Signals stay blocked (the parent blocked them all around the clone) until
// every disposition is the default.
LC_CHILD_CODE void ResetSignals(const ExecPlan* plan) {
  long r = ResetSignalDispositions();
  if (r < 0) FailChild(plan, ChildStep::kSigaction, r);
  r = UnblockAllSignals();
  if (r < 0) FailChild(plan, ChildStep::kSigmask, r);
}

LC_CHILD_CODE void ArmPdeathsig(const ExecPlan* plan) {
  long r = RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, plan->pdeathsig);
  if (r < 0) FailChild(plan, ChildStep::kPdeathsig, r);
  // The parent may have died before the prctl: then no signal will come,
  // and the child would outlive it. Nobody is left to read a report.
  if (RawSyscall(SYS_getppid) != plan->expected_ppid) RawExit(128 + plan->pdeathsig);
}

// The ids the program runs with, in the order libuv and Go use: the
// supplementary groups dropped (EPERM ignored: a caller without CAP_SETGID
// keeps its own, and may still ask for its own ids), the gid while the
// privilege to set it lasts, then the uid. Raw syscalls change only this
// task's credentials, which are its own even under CLONE_VM.
LC_CHILD_CODE void SetCredentials(const ExecPlan* plan) {
  if (plan->uid < 0 && plan->gid < 0) return;
  long r = RawSyscall(SYS_setgroups, 0, 0);
  if (r < 0 && r != -EPERM) FailChild(plan, ChildStep::kSetgroups, r);
  if (plan->gid >= 0) {
    r = RawSyscall(SYS_setgid, static_cast<long>(plan->gid));
    if (r < 0) FailChild(plan, ChildStep::kSetgid, r);
  }
  if (plan->uid >= 0) {
    r = RawSyscall(SYS_setuid, static_cast<long>(plan->uid));
    if (r < 0) FailChild(plan, ChildStep::kSetuid, r);
  }
  // The kernel clears the parent-death signal when the effective ids
  // change (commit_creds): it is set again for the new ids.
  if (plan->pdeathsig != 0) ArmPdeathsig(plan);
}

}  // namespace

LC_CHILD_CODE void FailChild(const ExecPlan* plan, ChildStep step, long err, int index) {
  // Plain stores to memory the parent shares: nothing a filter can deny. The
  // parent reads the page only after the exit that follows: its vfork
  // returns at our exit, or the exit closes our end of the report pipe and
  // it reads EOF. A process forked into an entered PID namespace shares the
  // page too (MAP_SHARED). The step goes last, so a child killed between
  // the stores never leaves a step without its errno.
  ChildReport* failure = plan->failure;
  failure->index = index;
  failure->err = static_cast<int32_t>(-err);
  __atomic_store_n(&failure->step, static_cast<int32_t>(step), __ATOMIC_RELEASE);
  RawExit(127);
}

LC_CHILD_CODE void ReportToParent(const ExecPlan* plan, ChildStep step, int value) {
  ChildReport report;
  report.step = static_cast<int32_t>(step);
  report.value = value;
  WriteReport(plan, report);
}

// The child program. It runs between clone and execve with Node's memory
// possibly shared (CLONE_VM), so: raw syscalls only, no allocation, no
// writes to anything but its own stack. Order after Go and bubblewrap.
LC_CHILD_CODE int ExecChildMain(void* arg) {
  const ExecPlan* plan = static_cast<const ExecPlan*>(arg);
  const ContainerPlan* container = plan->container;
  long r;
  // Before anything else, and before any setns: the copy of the mount tree
  // is ours to change, an entered namespace is not.
  if (plan->new_mount_namespace) MakeMountsPrivate(plan);
  if (container != nullptr) {
    EnterNamespaces(plan);
    AwaitParent(plan);
  }
  if (plan->setsid) {
    r = RawSyscall(SYS_setsid);
    if (r < 0) FailChild(plan, ChildStep::kSetsid, r);
  }
  // A container's rlimits may lower RLIMIT_NOFILE below an fd Node holds:
  // the close_range fallback walks to the limit as it was before them.
  int fd_bound = 0;
  if (container != nullptr) {
    SetUpNamespaces(plan);
    if (container->rlimit_count > 0) fd_bound = OpenFdBound();
    ApplyRlimits(plan);
  }
  if (plan->cwd != nullptr) {
    r = RawSyscall(SYS_chdir, reinterpret_cast<long>(plan->cwd));
    if (r < 0) FailChild(plan, ChildStep::kChdir, r);
  }
  if (plan->pdeathsig != 0) ArmPdeathsig(plan);
  PlumbFds(plan, fd_bound);
  ResetSignals(plan);
  SetCredentials(plan);
  if (container != nullptr) LockDown(plan);
  r = RawSyscall(SYS_execve, reinterpret_cast<long>(plan->file), reinterpret_cast<long>(plan->argv),
                 reinterpret_cast<long>(plan->envp));
  FailChild(plan, ChildStep::kExecve, r);
}

}  // namespace lc
