#include "task_sync.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_handle.h"
#include "errors.h"
#include "monotonic_clock.h"
#include "task_clone.h"
#include "task_plan.h"

namespace lc {
namespace {

// A thread: the kernel zeroes its CLEARTID word, and wakes the futex on it,
// once the thread has left user space (and its stack) for good.
void JoinThread(const TaskBlock& block, ExitRecord* exit) {
  const pid_t* word = &block.child_tid;
  for (;;) {
    pid_t tid = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    if (tid == 0) break;
    syscall(SYS_futex, word, FUTEX_WAIT, tid, nullptr, nullptr, 0);
  }
  exit->usage = block.usage;
  exit->exit_code = block.status;
}

// A process: waits for its exit and reaps it. Its pidfd is still blocking
// (no poller has touched it), so waitid waits. 0 or -errno.
int ReapProcess(const CloneOutcome& outcome, ExitRecord* exit) {
  siginfo_t info = {};
  rusage usage = {};
  const idtype_t type = outcome.pidfd >= 0 ? P_PIDFD : P_PID;
  const int id = outcome.pidfd >= 0 ? outcome.pidfd : outcome.pid;
  // __WALL: a child whose exit signal is not SIGCHLD is a "clone" child.
  while (syscall(SYS_waitid, type, id, &info, WEXITED | __WALL, &usage) != 0) {
    if (errno != EINTR) return -errno;
  }
  RecordExit(info, usage, exit);
  return 0;
}

}  // namespace

Napi::Value CloneTaskSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TaskRequest request;
  TaskResources resources;
  if (!ReadTaskPlan(env, info[0], {info[1], info[2], info[3]}, &request, &resources)) return env.Undefined();
  CloneOutcome outcome;
  int err = CloneTaskChild(request, &resources, &outcome);
  if (err != 0) {
    ThrowCloneError(env, err, outcome.via == CloneVia::kClone3 ? "clone3" : "clone", nullptr, request.flags);
    return env.Undefined();
  }
  ExitRecord exit;
  if (request.flags & CLONE_THREAD) {
    JoinThread(*resources.block, &exit);
  } else {
    err = ReapProcess(outcome, &exit);
  }
  exit.elapsed_ns = MonotonicNs() - outcome.started_ns;
  if (outcome.pidfd >= 0) close(outcome.pidfd);
  const TaskBlock result = *resources.block;
  // The stack, TLS and block go once nothing runs on them: a joined thread
  // or a reaped process. waitid on our own pidfd fails only with ECHILD
  // (someone else's waitpid(-1) reaped it, so it has ended); on anything
  // else the memory stays mapped rather than pulled from under a child.
  if (err == 0 || err == -ECHILD) resources.Free();
  if (err != 0) {
    ThrowCloneError(env, err, "waitid", nullptr, 0);
    return env.Undefined();
  }
  ExitToFields(env, outcome.pid, exit, &result);
  return env.Undefined();
}

}  // namespace lc
