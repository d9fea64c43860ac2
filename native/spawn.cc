#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>

#include "policy.h"
#include "reap.h"
#include "unique_fd.h"

namespace lc {
namespace {

// The child program needs a few hundred bytes of stack; 64 KiB leaves room
// for sanitizer builds.
constexpr size_t kExecStackSize = 64 * 1024;

struct CachedStack {
  Stack stack;
  ~CachedStack() { Unmap(&stack); }
};

// The report pipe (news from the child, and EOF when it has exec'd or
// ended), and the sync pipe it waits on while the parent writes its /proc
// files (a container that needs them). A spawn that needs neither opens
// none (NeedsReportPipe).
struct ChildPipes {
  UniqueFd report_read, report_write;
  UniqueFd sync_read, sync_write;
};

// A page a failing child leaves its report in: MAP_SHARED, so the child
// writes it with plain stores whatever its filter denies, and so does a
// process it forks. Unmapped when it goes.
class FailurePage {
 public:
  FailurePage() = default;
  ~FailurePage() {
    if (map_ != nullptr) munmap(map_, PageSize());
  }
  FailurePage(const FailurePage&) = delete;
  FailurePage& operator=(const FailurePage&) = delete;
  int Map() {
    void* map = mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return -errno;
    map_ = map;
    return 0;
  }
  ChildReport* report() const { return static_cast<ChildReport*>(map_); }

 private:
  void* map_ = nullptr;
};

// The page for this spawn's report, zeroed (step 0 unless a child writes a
// failure). Where the clone itself returns only once the child has exec'd
// into memory of its own or exited, and no grandchild shares the page, no
// process can write it after SpawnProcess returns: such spawns reuse their
// thread's page, with no mmap or munmap. Any other spawn gets `fresh`, a
// page of its own that no later spawn is handed while a child of this one
// may still hold it.
int FailurePageFor(bool reusable, FailurePage* fresh, ChildReport** out) {
  if (!reusable) {
    int err = fresh->Map();
    *out = fresh->report();
    return err;
  }
  thread_local FailurePage kept;
  if (kept.report() == nullptr) {
    int err = kept.Map();
    if (err != 0) return err;
  }
  *out = kept.report();
  **out = ChildReport();
  return 0;
}

struct Grandchild {
  pid_t pid = -1;
  int pidfd = -1;
};

ChildReport Failure(ChildStep step, int err) {
  ChildReport report;
  report.step = static_cast<int32_t>(step);
  report.err = err;
  return report;
}

void KillChild(int pidfd) { syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0); }

// Entering a PID namespace makes the child fork the program into it: a
// grandchild, which outlives the clone and shares the failure page.
bool ForksIntoPidNamespace(const ContainerPlan* container) {
  return container != nullptr && container->enter_pidfd >= 0 && (container->enter_types & CLONE_NEWPID);
}

// Whether the parent reads a report pipe after the clone. With CLONE_VFORK
// the clone returns once the child has exec'd or exited, and a failure is
// in the page by then; the kernel releases a vfork parent at exec before
// close-on-exec descriptors close, so a pipe's EOF would only come later.
// The pipe stays where the parent must hear from a child still running:
// without CLONE_VFORK (it waits for the exec, as libuv does), for the
// container handshake (the child reports ready and waits), and for a
// grandchild (its PID comes as news, and its exec is the pipe's EOF).
bool NeedsReportPipe(uint64_t flags, const ContainerPlan* container) {
  if (!(flags & CLONE_VFORK)) return true;
  if (container == nullptr) return false;
  return container->NeedsParent() || ForksIntoPidNamespace(container);
}

// Opens the pipes and points the plan at the child's ends.
int OpenPipes(ExecPlan* plan, ChildPipes* pipes) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return -errno;
  pipes->report_read.Reset(ends[0]);
  pipes->report_write.Reset(ends[1]);
  // The child's dup2 into slots [0, fd_count) must not land on the pipe.
  if (pipes->report_write.Get() < plan->fd_count) {
    int moved = fcntl(pipes->report_write.Get(), F_DUPFD_CLOEXEC, plan->fd_count);
    if (moved < 0) return -errno;
    pipes->report_write.Reset(moved);
  }
  plan->report_fd = pipes->report_write.Get();
  // The handshake's pipe: the child blocks reading it until our writes to
  // its /proc files are done.
  if (plan->container != nullptr && plan->container->NeedsParent()) {
    if (pipe2(ends, O_CLOEXEC) != 0) return -errno;
    pipes->sync_read.Reset(ends[0]);
    pipes->sync_write.Reset(ends[1]);
    plan->container->sync_fd = pipes->sync_read.Get();
  }
  return 0;
}

// Whom getppid() names in the child while its parent lives, for the
// pdeathsig re-check. A parent outside the child's PID namespace is 0: so
// in a new one, and so in an entered one, where the program is forked into
// it with Node as its parent. There the re-check still catches a reparent to
// a process inside the namespace (its init), not to one outside.
pid_t ExpectedParent(uint64_t flags, const ContainerPlan* container) {
  if (flags & CLONE_NEWPID) return 0;
  if (ForksIntoPidNamespace(container)) return 0;
  return (flags & CLONE_PARENT) ? getppid() : getpid();
}

// One stack per thread, reused: it is free again whenever SpawnProcess
// returns, and an munmap in a multi-threaded process whose memory a
// CLONE_VM child just ran in costs TLB-shootdown IPIs to every CPU running
// one of Node's threads: most of a spawn's overhead.
int ExecStack(const Stack** out) {
  thread_local CachedStack cached;
  if (cached.stack.map == nullptr) {
    int err = StackAllocate(kExecStackSize, &cached.stack);
    if (err != 0) return err;
  }
  *out = &cached.stack;
  return 0;
}

// Reads the child's report: 0 bytes (EOF) when exec closed the pipe, or a
// whole ChildReport. Returns the byte count or -errno.
long ReadReport(int fd, ChildReport* report) {
  for (;;) {
    ssize_t n = read(fd, report, sizeof *report);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

// The child is ready: the parent's writes to its /proc files, then the go.
// Returns a report with step 0 when the child may go on.
ChildReport AnswerReady(const ExecPlan& plan, pid_t pid, int pidfd, UniqueFd* sync_write) {
  int32_t failed_step = 0;
  int err = WriteParentSetup(pid, plan.container->parent, &failed_step);
  if (err != 0) {
    // The child is blocked on the sync pipe; it must not go on half set up.
    KillChild(pidfd);
    return Failure(static_cast<ChildStep>(failed_step), -err);
  }
  const char go = 1;
  if (write(sync_write->Get(), &go, 1) != 1) {
    err = errno;
    KillChild(pidfd);
    return Failure(ChildStep::kSyncRead, err);
  }
  sync_write->Reset();
  return ChildReport();
}

// Through CLONE_PARENT the program is our child, so its PID cannot be
// reused before we reap it: opening a pidfd by PID is race-free here.
ChildReport TakeGrandchild(pid_t pid, Grandchild* grandchild) {
  grandchild->pid = pid;
  grandchild->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (grandchild->pidfd >= 0) return ChildReport();
  const int err = errno;
  KillAndReap(P_PID, pid);
  return Failure(ChildStep::kForkIntoPidNamespace, err);
}

// Reads the child's reports until EOF: the exec, or the end of a child
// that left its failure in the page. On the way it answers a ready report
// with the parent's writes, and takes the PID of a program forked into an
// entered PID namespace (whose own exec is then the EOF). Without
// CLONE_VFORK this waits for the exec, as libuv does. A process forked
// meanwhile by another thread may hold our write end until it execs too,
// which only delays EOF.
ChildReport ReadReports(int fd, const ExecPlan& plan, pid_t pid, int pidfd, UniqueFd* sync_write,
                        Grandchild* grandchild) {
  for (;;) {
    ChildReport report;
    long n = ReadReport(fd, &report);
    // A fresh page is zeroed: step 0 unless a child wrote a failure.
    if (n == 0) return *plan.failure;
    const int program = grandchild->pidfd >= 0 ? grandchild->pidfd : pidfd;
    if (n != static_cast<long>(sizeof report)) {
      // We cannot tell whether the exec happened: do not leave it running.
      KillChild(program);
      return Failure(ChildStep::kExecve, n < 0 ? static_cast<int>(-n) : EIO);
    }
    const ChildStep step = static_cast<ChildStep>(report.step);
    ChildReport answer;
    if (step == ChildStep::kReady && plan.container != nullptr && sync_write->Get() >= 0) {
      answer = AnswerReady(plan, pid, pidfd, sync_write);
    } else if (step == ChildStep::kGrandchild && grandchild->pidfd < 0) {
      answer = TakeGrandchild(report.value, grandchild);
    } else {
      // A report nobody asked for (failures come through the page): the
      // protocol is broken.
      KillChild(program);
      return Failure(ChildStep::kExecve, EPROTO);
    }
    if (answer.step != 0) return answer;
  }
}

// A child that sets its uid or gid makes the kernel reset the dumpable flag
// of its memory (commit_creds), and under CLONE_VM that memory is Node's:
// Node would lose its core dumps, and its /proc files would turn root's.
// While the child runs with other ids in Node's memory, that reset is what
// keeps other processes of those ids from ptracing it, so the flag is put
// back only once the child has exec'd or been reaped, and, as spawns in
// several workers overlap, by the last of them, to what it was before the
// first. PR_SET_DUMPABLE takes only 0 and 1; a Node at 2 (suid_dumpable)
// is left as the kernel set it.
class DumpableGuard {
 public:
  explicit DumpableGuard(bool changes_shared_ids) : active_(changes_shared_ids) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_flight_++ == 0) saved_ = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  }
  ~DumpableGuard() { Restore(); }
  void Restore() {
    if (!active_) return;
    active_ = false;
    std::lock_guard<std::mutex> lock(mutex_);
    if (--in_flight_ != 0) return;
    if ((saved_ == 0 || saved_ == 1) && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != saved_)
      (void)prctl(PR_SET_DUMPABLE, saved_, 0, 0, 0);  // 0 and 1 cannot fail
  }

 private:
  bool active_;
  static inline std::mutex mutex_;
  static inline int in_flight_ = 0;
  static inline int saved_ = -1;
};

// After the reports: the caller waits for the program, or for nothing.
void SettleChild(const ChildReport& report, const Grandchild& grandchild, CloneOutcome* out) {
  if (grandchild.pidfd >= 0) {
    // The child only forked the program into the PID namespace it entered,
    // and exits: the program (our child too, through CLONE_PARENT) is what
    // the caller waits for.
    ReapExited(P_PIDFD, out->pidfd);
    close(out->pidfd);
    out->pid = grandchild.pid;
    out->pidfd = grandchild.pidfd;
  }
  if (report.step != 0) {
    // It failed before exec, so it exits (or was killed) on its own.
    ReapExited(P_PIDFD, out->pidfd);
    close(out->pidfd);
    out->pidfd = -1;
  }
}

}  // namespace

int SpawnProcess(SpawnRequest* request, CloneOutcome* out, ChildReport* report) {
  ExecPlan& plan = request->exec;
  // The child's stack holds one int per slot; options.cc refuses more.
  if (plan.fd_count < 0 || plan.fd_count > policy::kMaxStdioSlots) return -EINVAL;
  // Only the pdeathsig re-check reads it (a getpid or getppid).
  if (plan.pdeathsig != 0) plan.expected_ppid = ExpectedParent(request->flags, plan.container);
  plan.new_mount_namespace = (request->flags & CLONE_NEWNS) != 0;
  const bool reads_pipe = NeedsReportPipe(request->flags, plan.container);
  FailurePage fresh;
  int err = FailurePageFor(!reads_pipe, &fresh, &plan.failure);
  ChildPipes pipes;
  if (err == 0 && reads_pipe) err = OpenPipes(&plan, &pipes);
  const Stack* stack = nullptr;
  if (err == 0) err = ExecStack(&stack);
  if (err != 0) return err;

  DumpableGuard dumpable((request->flags & CLONE_VM) != 0 && (plan.uid >= 0 || plan.gid >= 0));
  CloneRequest clone_request;
  clone_request.flags = request->flags;
  clone_request.exit_signal = request->exit_signal;
  clone_request.stack = stack;
  clone_request.cgroup_fd = request->cgroup_fd;
  if (request->flags & CLONE_PARENT_SETTID) clone_request.parent_tid = &request->parent_tid;
  if (request->flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
    clone_request.child_tid = &request->child_tid;
  err = CloneCall(clone_request, ExecChildMain, &plan, out);
  // Child.flags says what was really passed.
  if (out->pidfd_opened_after) request->flags &= ~static_cast<uint64_t>(CLONE_PIDFD);
  // From here only the child's copy may hold the pipe open, so EOF means the
  // exec closed it (or the child died).
  pipes.report_write.Reset();
  pipes.sync_read.Reset();
  if (err != 0) return err;

  Grandchild grandchild;
  // Without a pipe the child has exec'd or exited already (CLONE_VFORK).
  *report = reads_pipe ? ReadReports(pipes.report_read.Get(), plan, out->pid, out->pidfd, &pipes.sync_write,
                                     &grandchild)
                       : *plan.failure;
  SettleChild(*report, grandchild, out);
  // The child has exec'd into memory of its own, or was reaped.
  dumpable.Restore();
  // The stack is free for the next spawn, and the failure page may go (or
  // serve the next): the child exec'd into a new address space, died (a
  // failed child was reaped above), or without CLONE_VM only ever ran on its
  // own copy.
  plan.failure = nullptr;
  return 0;
}

const char* ChildStepSyscall(ChildStep step) {
  switch (step) {
    case ChildStep::kSetns: return "setns";
    case ChildStep::kForkIntoPidNamespace: return "clone";
    case ChildStep::kUnshareTime: return "unshare";
    case ChildStep::kSyncRead: return "read";
    case ChildStep::kWriteSetgroups:
    case ChildStep::kWriteUidMap:
    case ChildStep::kWriteGidMap:
    case ChildStep::kWriteTimeOffsets: return "write";
    case ChildStep::kEnterTime: return "setns";
    case ChildStep::kSetsid: return "setsid";
    case ChildStep::kSethostname: return "sethostname";
    case ChildStep::kSetdomainname: return "setdomainname";
    case ChildStep::kMountPrivate:
    case ChildStep::kMount:
    case ChildStep::kRemountReadonly: return "mount";
    case ChildStep::kPivotRoot: return "pivot_root";
    case ChildStep::kUmountOldRoot: return "umount2";
    case ChildStep::kLoopback: return "ioctl";
    case ChildStep::kSetrlimit: return "prlimit64";
    case ChildStep::kChdir: return "chdir";
    case ChildStep::kPdeathsig: return "prctl";
    case ChildStep::kDupFd: return "dup2";
    case ChildStep::kMakeBlocking: return "fcntl";
    case ChildStep::kCloseRange: return "close_range";
    case ChildStep::kSigaction: return "rt_sigaction";
    case ChildStep::kSigmask: return "rt_sigprocmask";
    case ChildStep::kSetgroups: return "setgroups";
    case ChildStep::kSetgid: return "setgid";
    case ChildStep::kSetuid: return "setuid";
    case ChildStep::kNoNewPrivs: return "prctl";
    case ChildStep::kSeccomp: return "seccomp";
    case ChildStep::kExecve: return "execve";
    case ChildStep::kReady:
    case ChildStep::kGrandchild: break;
  }
  return "unknown";
}

}  // namespace lc
