#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raw_syscall.h"
#include "unique_fd.h"

namespace lc {
namespace {

// The child program needs a few hundred bytes of stack; 64 KiB leaves room
// for sanitizer builds.
constexpr size_t kExecStackSize = 64 * 1024;
constexpr int kMaxSignal = 64;
constexpr int kMaxStdioSlots = 1024;
constexpr long kFullSigset = ~0L;
constexpr long kEmptySigset = 0;

// The kernel's struct sigaction for rt_sigaction (not glibc's, which is larger).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};

LC_CHILD_CODE void WriteReport(const ExecPlan* plan, const ChildFailure& report) {
  // All signals are blocked, so the write cannot be interrupted; the record
  // is below PIPE_BUF, so it lands whole or not at all.
  RawSyscall(SYS_write, plan->error_fd, reinterpret_cast<long>(&report), sizeof report);
}

[[noreturn]] LC_CHILD_CODE void Fail(const ExecPlan* plan, ChildStep step, long err) {
  FailChild(plan, step, err);
}

// Moves every source that a lower slot's dup2 could overwrite above the slot
// range first (libuv does the same): swapping stdout and stderr must not
// leave both on one file.
LC_CHILD_CODE void PlumbFds(const ExecPlan* plan) {
  int sources[kMaxStdioSlots];
  const int count = plan->fd_count;
  for (int i = 0; i < count; i++) {
    int source = plan->fds[i].source;
    if (source >= 0 && source < count && source != plan->fds[i].target) {
      long moved = RawSyscall(SYS_fcntl, source, F_DUPFD_CLOEXEC, count);
      if (moved < 0) Fail(plan, ChildStep::kDupFd, moved);
      source = static_cast<int>(moved);
    }
    sources[i] = source;
  }
  for (int i = 0; i < count; i++) {
    const int target = plan->fds[i].target;
    if (sources[i] < 0) {
      // A slot the child gets closed: whatever Node has there closes at exec.
      long r = RawSyscall(SYS_fcntl, target, F_SETFD, FD_CLOEXEC);
      if (r < 0 && r != -EBADF) Fail(plan, ChildStep::kDupFd, r);
      continue;
    }
    // dup2 clears close-on-exec on the copy; an fd already in place needs it
    // cleared by hand.
    long r = sources[i] == target ? RawSyscall(SYS_fcntl, target, F_SETFD, 0)
                                  : RawSyscall(SYS_dup2, sources[i], target);
    if (r < 0) Fail(plan, ChildStep::kDupFd, r);
  }
  // Everything above the slots closes at exec: Node's own descriptors, and
  // any a parent process left inheritable. The error pipe stays open until
  // the exec itself closes it.
  long r = RawSyscall(SYS_close_range, count, ~0U, CLOSE_RANGE_CLOEXEC);
  if (r == -ENOSYS || r == -EINVAL) {  // before Linux 5.11
    for (int fd = count; fd < plan->fd_limit; fd++) RawSyscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
  } else if (r < 0) {
    Fail(plan, ChildStep::kCloseRange, r);
  }
}

// Node's handlers must never run here: the child may share Node's memory.
// Signals stay blocked (the parent blocked them all around the clone) until
// every disposition is the default; ignored ones are reset too, as libuv does,
// so a program does not inherit Node's SIG_IGN for SIGPIPE.
LC_CHILD_CODE void ResetSignals(const ExecPlan* plan) {
  KernelSigaction dfl = {};
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    long r = RawSyscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, sizeof(long));
    if (r < 0) Fail(plan, ChildStep::kSigaction, r);
  }
  long r =
      RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&kEmptySigset), 0, sizeof(long));
  if (r < 0) Fail(plan, ChildStep::kSigmask, r);
}

// The child program. It runs between clone and execve with Node's memory
// possibly shared (CLONE_VM), so: raw syscalls only, no allocation, no
// writes to anything but its own stack. Order after Go and bubblewrap.
LC_CHILD_CODE int ExecChildMain(void* arg) {
  const ExecPlan* plan = static_cast<const ExecPlan*>(arg);
  const ContainerPlan* container = plan->container;
  long r;
  if (container != nullptr) {
    EnterNamespaces(plan);
    AwaitParent(plan);
  }
  if (plan->setsid) {
    r = RawSyscall(SYS_setsid);
    if (r < 0) Fail(plan, ChildStep::kSetsid, r);
  }
  if (container != nullptr) {
    SetUpNamespaces(plan);
    ApplyRlimits(plan);
  }
  if (plan->cwd != nullptr) {
    r = RawSyscall(SYS_chdir, reinterpret_cast<long>(plan->cwd));
    if (r < 0) Fail(plan, ChildStep::kChdir, r);
  }
  if (plan->pdeathsig != 0) {
    r = RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, plan->pdeathsig);
    if (r < 0) Fail(plan, ChildStep::kPdeathsig, r);
    // The parent may have died before the prctl: then no signal will come,
    // and the child would outlive it. Nobody is left to read a report.
    if (RawSyscall(SYS_getppid) != plan->expected_ppid) RawExit(128 + plan->pdeathsig);
  }
  PlumbFds(plan);
  ResetSignals(plan);
  if (container != nullptr) LockDown(plan);
  r = RawSyscall(SYS_execve, reinterpret_cast<long>(plan->file), reinterpret_cast<long>(plan->argv),
                 reinterpret_cast<long>(plan->envp));
  Fail(plan, ChildStep::kExecve, r);
}

struct CachedStack {
  Stack stack;
  ~CachedStack() { Unmap(&stack); }
};

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// Reads the child's report: 0 bytes (EOF) when exec closed the pipe, or a
// whole ChildFailure. Returns the byte count or -errno.
long ReadFailure(int fd, ChildFailure* failure) {
  for (;;) {
    ssize_t n = read(fd, failure, sizeof *failure);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

struct Grandchild {
  pid_t pid = -1;
  int pidfd = -1;
};

void KillChild(int pidfd) { syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0); }

// Reads the child's reports until EOF (the exec) or a failure. On the way it
// answers a ready report with the parent's writes, and takes the PID of a
// program forked into an entered PID namespace. With CLONE_VFORK the child
// has already exec'd or exited and the first read returns at once; without
// it, this waits for the exec, as libuv does. A process forked meanwhile by
// another thread may hold our write end until it execs too, which only
// delays EOF.
ChildFailure ReadReports(int fd, const ExecPlan& plan, pid_t pid, int pidfd, UniqueFd* sync_write,
                         Grandchild* grandchild) {
  for (;;) {
    ChildFailure report;
    long n = ReadFailure(fd, &report);
    if (n == 0) return ChildFailure();
    if (n != static_cast<long>(sizeof report)) {
      // We cannot tell whether the exec happened: do not leave it running.
      report = ChildFailure();
      report.step = static_cast<int32_t>(ChildStep::kExecve);
      report.err = n < 0 ? static_cast<int32_t>(-n) : EIO;
      KillChild(grandchild->pidfd >= 0 ? grandchild->pidfd : pidfd);
      return report;
    }
    const ChildStep step = static_cast<ChildStep>(report.step);
    if (step == ChildStep::kReady && plan.container != nullptr && sync_write->Get() >= 0) {
      int32_t failed_step = 0;
      int err = WriteParentSetup(pid, plan.container->parent, &failed_step);
      if (err != 0) {
        // The child is blocked on the sync pipe; it must not go on half set up.
        KillChild(pidfd);
        report.step = failed_step;
        report.err = -err;
        return report;
      }
      const char go = 1;
      if (write(sync_write->Get(), &go, 1) != 1) {
        report.step = static_cast<int32_t>(ChildStep::kSyncRead);
        report.err = errno;
        KillChild(pidfd);
        return report;
      }
      sync_write->Reset();
      continue;
    }
    if (step == ChildStep::kGrandchild && grandchild->pidfd < 0) {
      // Through CLONE_PARENT the program is our child, so its PID cannot be
      // reused before we reap it: opening a pidfd by PID is race-free here.
      grandchild->pid = report.value;
      grandchild->pidfd = static_cast<int>(syscall(SYS_pidfd_open, report.value, 0));
      if (grandchild->pidfd < 0) {
        report.step = static_cast<int32_t>(ChildStep::kForkIntoPidNamespace);
        report.err = errno;
        kill(report.value, SIGKILL);
        siginfo_t info;
        waitid(P_PID, report.value, &info, WEXITED | __WALL);
        return report;
      }
      continue;
    }
    if (step == ChildStep::kReady || step == ChildStep::kGrandchild) {
      // A report nobody asked for: the protocol is broken.
      KillChild(grandchild->pidfd >= 0 ? grandchild->pidfd : pidfd);
      report.step = static_cast<int32_t>(ChildStep::kExecve);
      report.err = EPROTO;
    }
    return report;
  }
}

// Reaps a child that will exit on its own right away (it failed before exec).
void ReapNow(int pidfd) {
  siginfo_t info;
  while (syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED | __WALL, nullptr) < 0 && errno == EINTR) {
  }
}

// Blocks every signal, glibc's internal ones too, for the duration of a
// clone; the raw syscall because pthread_sigmask silently keeps SIGCANCEL
// and SIGSETXID open.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    ok_ = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &kFullSigset, &saved_, sizeof(long)) == 0;
  }
  ~AllSignalsBlocked() {
    if (ok_) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved_, nullptr, sizeof(long));
  }
  bool ok() const { return ok_; }

 private:
  long saved_ = 0;
  bool ok_ = false;
};

}  // namespace

LC_CHILD_CODE void FailChild(const ExecPlan* plan, ChildStep step, long err, int index) {
  ChildFailure failure;
  failure.step = static_cast<int32_t>(step);
  failure.err = static_cast<int32_t>(-err);
  failure.index = index;
  WriteReport(plan, failure);
  RawExit(127);
}

LC_CHILD_CODE void ReportToParent(const ExecPlan* plan, ChildStep step, int value) {
  ChildFailure report;
  report.step = static_cast<int32_t>(step);
  report.value = value;
  WriteReport(plan, report);
}

void TaskResources::Free() {
  TaskStackRelease(&stack);
  TaskTlsRelease(&tls);
  SharedRelease(block, block_size);
  block = nullptr;
}

int CloneTaskChild(const TaskRequest& request, TaskResources* resources, SpawnOutcome* out) {
  int err = TaskStackAllocate(request.stack_size, &resources->stack);
  if (err == 0 && (request.flags & CLONE_SETTLS)) err = TaskTlsAllocate(&resources->tls);
  if (err != 0) {
    resources->Free();
    return err;
  }
  TaskBlock* block = resources->block;
  int pidfd = -1;
  CloneRequest clone_request;
  clone_request.flags = request.flags;
  clone_request.exit_signal = request.exit_signal;
  clone_request.stack = &resources->stack;
  clone_request.tls = resources->tls.tcb();
  if (request.flags & CLONE_PIDFD) clone_request.pidfd = &pidfd;
  if (request.flags & CLONE_PARENT_SETTID) clone_request.parent_tid = &block->parent_tid;
  if (request.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
    clone_request.child_tid = &block->child_tid;

  long pid;
  {
    // The child starts with every signal blocked: one sharing Node's
    // handlers keeps them so (tasks.cc), any other resets its dispositions
    // before unblocking.
    AllSignalsBlocked blocked;
    if (!blocked.ok()) {
      resources->Free();
      return -errno;
    }
    out->started_ns = MonotonicNs();
    // CLONE_CHILD_CLEARTID clears child_tid at exit; the kernel writes it
    // with CLONE_CHILD_SETTID only in the child, so set it here too, before
    // a join could look at it.
    if (request.flags & CLONE_CHILD_CLEARTID) __atomic_store_n(&block->child_tid, -1, __ATOMIC_RELAXED);
    pid = CloneCall(clone_request, TaskChildMain, block, &out->via);
  }
  if (pid < 0) {
    resources->Free();
    return static_cast<int>(pid);
  }
  out->pid = static_cast<pid_t>(pid);
  out->pidfd = pidfd;
  return 0;
}

const char* ChildStepSyscall(ChildStep step) {
  switch (step) {
    case ChildStep::kSetsid: return "setsid";
    case ChildStep::kChdir: return "chdir";
    case ChildStep::kPdeathsig: return "prctl";
    case ChildStep::kDupFd: return "dup2";
    case ChildStep::kCloseRange: return "close_range";
    case ChildStep::kSigaction: return "rt_sigaction";
    case ChildStep::kSigmask: return "rt_sigprocmask";
    case ChildStep::kExecve: return "execve";
    case ChildStep::kSetns: return "setns";
    case ChildStep::kForkIntoPidNamespace: return "clone";
    case ChildStep::kUnshareTime: return "unshare";
    case ChildStep::kSyncRead: return "read";
    case ChildStep::kWriteSetgroups:
    case ChildStep::kWriteUidMap:
    case ChildStep::kWriteGidMap:
    case ChildStep::kWriteTimeOffsets: return "write";
    case ChildStep::kEnterTime: return "setns";
    case ChildStep::kSethostname: return "sethostname";
    case ChildStep::kSetdomainname: return "setdomainname";
    case ChildStep::kMountPrivate:
    case ChildStep::kMount:
    case ChildStep::kRemountReadonly: return "mount";
    case ChildStep::kPivotRoot: return "pivot_root";
    case ChildStep::kUmountOldRoot: return "umount2";
    case ChildStep::kLoopback: return "ioctl";
    case ChildStep::kSetrlimit: return "prlimit64";
    case ChildStep::kNoNewPrivs: return "prctl";
    case ChildStep::kSeccomp: return "seccomp";
    case ChildStep::kReady:
    case ChildStep::kGrandchild: break;
  }
  return "unknown";
}

int SpawnProcess(SpawnRequest* request, SpawnOutcome* out) {
  ExecPlan& plan = request->exec;
  if (plan.fd_count < 0 || plan.fd_count > kMaxStdioSlots) return -EINVAL;
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) return -errno;
  plan.fd_limit = nofile.rlim_cur > 65536 ? 65536 : static_cast<int>(nofile.rlim_cur);

  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return -errno;
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  // The child's dup2 into slots [0, fd_count) must not land on the pipe.
  if (write_end.Get() < plan.fd_count) {
    int moved = fcntl(write_end.Get(), F_DUPFD_CLOEXEC, plan.fd_count);
    if (moved < 0) return -errno;
    write_end.Reset(moved);
  }
  plan.error_fd = write_end.Get();
  // The handshake's pipe: the child blocks reading it until our writes to
  // its /proc files are done. A child that must wait cannot be a vfork.
  UniqueFd sync_read, sync_write;
  if (plan.container != nullptr && plan.container->NeedsParent()) {
    if (request->flags & (CLONE_VFORK | CLONE_VM)) return -EINVAL;
    if (pipe2(ends, O_CLOEXEC) != 0) return -errno;
    sync_read.Reset(ends[0]);
    sync_write.Reset(ends[1]);
    plan.container->sync_fd = sync_read.Get();
  }
  if (plan.container != nullptr && plan.container->enter_pidfd >= 0 && (request->flags & CLONE_VM))
    return -EINVAL;
  // Whom getppid() names in the child while its parent lives, for the
  // pdeathsig re-check. A parent outside the child's PID namespace is 0.
  if (request->flags & CLONE_NEWPID) {
    plan.expected_ppid = 0;
  } else {
    plan.expected_ppid = (request->flags & CLONE_PARENT) ? getppid() : getpid();
  }

  // One stack per thread, reused: it is free again whenever SpawnProcess
  // returns (see the end), and an munmap in a multi-threaded process whose
  // memory a CLONE_VM child just ran in costs TLB-shootdown IPIs to every
  // CPU running one of Node's threads: most of a spawn's overhead.
  thread_local CachedStack cached;
  if (cached.stack.map == nullptr) {
    int err = StackAllocate(kExecStackSize, &cached.stack);
    if (err != 0) return err;
  }
  const Stack& stack = cached.stack;

  int pidfd = -1;
  CloneRequest clone_request;
  clone_request.flags = request->flags;
  clone_request.exit_signal = request->exit_signal;
  clone_request.stack = &stack;
  clone_request.pidfd = &pidfd;
  clone_request.cgroup_fd = request->cgroup_fd;
  if (request->flags & CLONE_PARENT_SETTID) clone_request.parent_tid = &request->parent_tid;
  if (request->flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
    clone_request.child_tid = &request->child_tid;

  long pid;
  {
    // No handler of Node's may run in a child that shares Node's memory: the
    // child unblocks only after resetting its dispositions.
    AllSignalsBlocked blocked;
    if (!blocked.ok()) return -errno;
    out->started_ns = MonotonicNs();
    pid = CloneCall(clone_request, ExecChildMain, &plan, &out->via);
  }
  // From here only the child's copy may hold the pipe open, so EOF means the
  // exec closed it (or the child died).
  write_end.Reset();
  sync_read.Reset();
  if (pid < 0) return static_cast<int>(pid);
  out->pid = static_cast<pid_t>(pid);
  out->pidfd = pidfd;

  Grandchild grandchild;
  out->failure = ReadReports(read_end.Get(), plan, pid, pidfd, &sync_write, &grandchild);
  if (grandchild.pidfd >= 0) {
    // The child only forked the program into the PID namespace it entered,
    // and exits: the program (our child too, through CLONE_PARENT) is what
    // the caller waits for.
    ReapNow(pidfd);
    close(pidfd);
    out->pid = grandchild.pid;
    out->pidfd = pidfd = grandchild.pidfd;
  }
  if (out->failure.step != 0) {
    ReapNow(pidfd);
    close(pidfd);
    out->pidfd = -1;
  }
  // The stack is free for the next spawn: the child exec'd into a new
  // address space, died (a failed child was reaped above), or without
  // CLONE_VM only ever ran on its own copy.
  return 0;
}

}  // namespace lc
