#include "child_handle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "handle_fields.h"
#include "monotonic_clock.h"
#include "reap.h"
#include "task_result.h"

namespace lc {
namespace {

constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD, Linux 6.9

double Microseconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
}

// A process child no handle could be made for: killed and reaped now, so
// it is neither left running nor a zombie. The pidfd is still blocking
// (no poller has touched it), so waitid waits.
void AbandonProcess(int pidfd) {
  if (pidfd < 0) return;
  KillAndReap(P_PIDFD, pidfd);
  close(pidfd);
}

// The exit JS reads from the fields (handle_fields.h).
void ExitFieldsTo(double* f, pid_t pid, const ExitRecord& exit) {
  f[fields::kPid] = pid;
  f[fields::kExitCode] = exit.exit_code;
  f[fields::kSignal] = exit.signal;
  f[fields::kCoreDumped] = exit.core_dumped ? 1 : 0;
  const rusage& u = exit.usage;
  double* r = &f[fields::kRusage];
  r[0] = Microseconds(u.ru_utime);
  r[1] = Microseconds(u.ru_stime);
  r[2] = static_cast<double>(u.ru_maxrss);
  r[3] = static_cast<double>(u.ru_minflt);
  r[4] = static_cast<double>(u.ru_majflt);
  r[5] = static_cast<double>(u.ru_inblock);
  r[6] = static_cast<double>(u.ru_oublock);
  r[7] = static_cast<double>(u.ru_nvcsw);
  r[8] = static_cast<double>(u.ru_nivcsw);
  f[fields::kElapsedMs] = static_cast<double>(exit.elapsed_ns) / 1e6;
  f[fields::kIsTask] = 0;
}

}  // namespace

Napi::Object RusageObject(Napi::Env env, const rusage& usage) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("userCPUTime", Microseconds(usage.ru_utime));
  out.Set("systemCPUTime", Microseconds(usage.ru_stime));
  out.Set("maxRSS", static_cast<double>(usage.ru_maxrss));
  out.Set("minorPageFault", static_cast<double>(usage.ru_minflt));
  out.Set("majorPageFault", static_cast<double>(usage.ru_majflt));
  out.Set("fsRead", static_cast<double>(usage.ru_inblock));
  out.Set("fsWrite", static_cast<double>(usage.ru_oublock));
  out.Set("voluntaryContextSwitches", static_cast<double>(usage.ru_nvcsw));
  out.Set("involuntaryContextSwitches", static_cast<double>(usage.ru_nivcsw));
  return out;
}

void RecordExit(const siginfo_t& info, const rusage& usage, ExitRecord* exit) {
  exit->usage = usage;
  if (info.si_code == CLD_EXITED) {
    exit->exit_code = info.si_status;
  } else {
    exit->signal = info.si_status;
    exit->core_dumped = info.si_code == CLD_DUMPED;
  }
}

void ExitFieldsInto(Napi::Env env, pid_t pid, const ExitRecord& exit, Napi::Object out) {
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("exitCode", exit.signal == 0 ? Napi::Number::New(env, exit.exit_code) : env.Null());
  out.Set("signal", Napi::Number::New(env, exit.signal));
  out.Set("coreDumped", Napi::Boolean::New(env, exit.core_dumped));
  out.Set("rusage", RusageObject(env, exit.usage));
  out.Set("elapsedMs", Napi::Number::New(env, static_cast<double>(exit.elapsed_ns) / 1e6));
}

Napi::Function ChildHandle::Define(Napi::Env env) {
  return DefineClass(env, "ChildHandle",
                     {
                         InstanceMethod<&ChildHandle::Kill>("kill"),
                         InstanceMethod<&ChildHandle::WaitSync>("waitSync"),
                         InstanceMethod<&ChildHandle::Close>("close"),
                         InstanceMethod<&ChildHandle::SetRef>("setRef"),
                     });
}

ChildHandle::ChildHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ChildHandle>(info) {}

ChildHandle::~ChildHandle() {
  // A finalized handle was reaped (it held itself alive until then), or its
  // env was torn down; either way only the descriptor may be left.
  if (pidfd_ >= 0) close(pidfd_);
}

ChildHandle* ChildHandle::Construct(Napi::Env env, Napi::Object* object, const CloneOutcome& outcome,
                                    uint64_t flags, int exit_signal, Napi::Function on_exit) {
  AddonData* data = env.GetInstanceData<AddonData>();
  // While the env ends (a worker terminated, process.exit) every call into
  // JS fails with no exception to throw: the result is empty, and the
  // caller ends the child quietly.
  if (data == nullptr || data->child_constructor.IsEmpty()) return nullptr;
  *object = data->child_constructor.New({});
  if (env.IsExceptionPending() || object->IsEmpty()) return nullptr;
  ChildHandle* self = Unwrap(*object);
  // The fields go to JS with the handle; without them (a detached array)
  // there is no handle to give.
  double* f = data->Fields();
  if (self == nullptr || f == nullptr) return nullptr;
  self->pid_ = outcome.pid;
  self->pidfd_ = outcome.pidfd;
  self->started_ns_ = outcome.started_ns;
  self->on_exit_ = Napi::Persistent(on_exit);
  self->data_ = data;
  f[fields::kHandlePid] = outcome.pid;
  f[fields::kHandlePidfd] = outcome.pidfd;
  fields::StoreBits(&f[fields::kHandleFlags], flags);
  f[fields::kHandleExitSignal] = exit_signal;
  f[fields::kHandleClone3] = outcome.via == CloneVia::kClone3 ? 1 : 0;
  f[fields::kHandleHasTls] = 0;
  f[fields::kHandleStdioCount] = 0;
  self->Ref();  // alive until reaped, whether or not JS keeps the handle
  data->live_children.insert(self);
  return self;
}

Napi::Value ChildHandle::Create(Napi::Env env, const CloneOutcome& outcome, uint64_t flags, int exit_signal,
                                bool kill_at_exit, Napi::Function on_exit) {
  Napi::Object object;
  ChildHandle* self = Construct(env, &object, outcome, flags, exit_signal, on_exit);
  if (self == nullptr) {
    // Nobody asked for this child yet (spawn did not return it), so it is
    // ended whatever kill_at_exit says.
    AbandonProcess(outcome.pidfd);
    return env.Undefined();
  }
  self->kill_at_exit_ = kill_at_exit;
  return self->Watch(env) ? object : env.Undefined();
}

Napi::Value ChildHandle::CreateTask(Napi::Env env, const CloneOutcome& outcome, uint64_t flags,
                                    int exit_signal, const TaskResources& resources, Napi::Function on_exit) {
  Napi::Object object;
  ChildHandle* self = Construct(env, &object, outcome, flags, exit_signal, on_exit);
  if (self == nullptr) {
    // No handle to watch it with. A process is ended and reaped, and then
    // its resources can go; a thread cannot be killed alone, so its
    // resources stay mapped rather than pulled from under it.
    if (!(flags & CLONE_THREAD)) {
      AbandonProcess(outcome.pidfd);
      TaskResources owned = resources;
      owned.Free();
    } else if (outcome.pidfd >= 0) {
      close(outcome.pidfd);
    }
    return env.Undefined();
  }
  self->has_task_ = true;
  self->task_ = resources;
  self->thread_ = (flags & CLONE_THREAD) != 0;
  if (resources.tls.map != nullptr) {
    double* f = self->data_->Fields();
    f[fields::kHandleHasTls] = 1;
    fields::StoreBits(&f[fields::kHandleTls], resources.tls.tcb());
  }
  return self->Watch(env) ? object : env.Undefined();
}

int ChildHandle::StartPoll(uv_loop_t* loop, const char** call) {
  int err = 0;
  const char* failed = nullptr;
  poll_key_ = data_->poller.Add(loop, pidfd_, this, ref_, &err, &failed);
  if (call != nullptr) *call = failed;
  return err;
}

bool ChildHandle::Watch(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int err = 0;
  const char* failed = "uv_idle_start";
  if (has_task_ && (pidfd_ >= 0 || thread_)) {
    // Most tasks end within a turn of the loop: look once before paying for
    // the poller's two epoll_ctl calls (more than a short task costs).
    // An idle handle, because it also keeps the poll phase from blocking.
    first_look_ = new uv_idle_t;
    uv_idle_init(loop, first_look_);
    first_look_->data = this;
    err = uv_idle_start(first_look_, OnFirstIdle);
  } else {
    // A process's pidfd: readable once it has exited.
    err = StartPoll(loop, &failed);
  }
  if (err == 0) return true;
  // Without a watcher nothing would reap it: do not leave it running.
  EndNow();
  Release();
  ThrowCloneError(env, err, failed, nullptr, 0);
  return false;
}

void ChildHandle::OnFirstIdle(uv_idle_t* idle) {
  ChildHandle* self = static_cast<ChildHandle*>(idle->data);
  uv_idle_stop(idle);
  uv_close(reinterpret_cast<uv_handle_t*>(idle),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_idle_t*>(handle); });
  self->first_look_ = nullptr;
  const int r = self->Reap(false);
  if (r != 0) {
    if (r < 0) self->MarkReapedElsewhere();
    self->OnExitObserved();
    return;
  }
  int err = self->thread_ ? self->WatchThread(idle->loop) : self->StartPoll(idle->loop);
  if (err == 1) {
    self->OnExitObserved();
    return;
  }
  if (err != 0) {
    // Cannot watch it: end it now rather than never report it.
    self->EndNow();
    self->OnExitObserved();
  }
}

// A thread still running after a turn of the loop gets a pidfd now, not at
// birth: most never need one. Its TID cannot name another thread while the
// CLEARTID word still holds it, so checking the word after pidfd_open
// proves the pidfd is this thread's. Returns 1 if it has already gone, 0
// when watched, or a negative uv error.
int ChildHandle::WatchThread(uv_loop_t* loop) {
  if (pidfd_ >= 0) return StartPoll(loop);  // asked for with CLONE_PIDFD at birth
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, kPidfdThread));
  if (fd < 0 && errno == ESRCH) return Reap(true);  // released, so the word is already 0
  if (fd >= 0) {
    pidfd_ = fd;
    if (Reap(false) != 0) return 1;
    return StartPoll(loop);
  }
  // No thread pidfds before Linux 6.9: look at the CLEARTID word each ms.
  join_timer_ = new uv_timer_t;
  uv_timer_init(loop, join_timer_);
  join_timer_->data = this;
  if (!ref_) uv_unref(reinterpret_cast<uv_handle_t*>(join_timer_));
  return uv_timer_start(join_timer_, OnJoinTimer, 1, 1);
}

int ChildHandle::JoinThread(bool block) {
  // CLONE_CHILD_CLEARTID: the kernel zeroes the word when the thread has
  // left user space for good, and wakes the futex on it.
  pid_t* word = &task_.block->child_tid;
  for (;;) {
    pid_t tid = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    if (tid == 0) break;
    if (!block) return 0;
    syscall(SYS_futex, word, FUTEX_WAIT, tid, nullptr, nullptr, 0);
  }
  reaped_ = true;
  exit_.elapsed_ns = MonotonicNs() - started_ns_;
  exit_.usage = task_.block->usage;
  exit_.exit_code = task_.block->status;
  return 1;
}

int ChildHandle::Reap(bool block) {
  if (reaped_) return 1;
  if (thread_) return JoinThread(block);
  siginfo_t info = {};
  rusage usage = {};
  for (;;) {
    // __WALL: a child whose exit signal is not SIGCHLD is a "clone" child,
    // which waitid only reports with __WALL. Always WNOHANG: a pidfd may be
    // non-blocking (since Linux 5.10 waitid on such a pidfd answers EAGAIN
    // instead of blocking), so blocking is poll's job.
    long r = syscall(SYS_waitid, P_PIDFD, pidfd_, &info, WEXITED | __WALL | WNOHANG, &usage);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (info.si_pid != 0) break;
    if (!block) return 0;
    pollfd readable = {pidfd_, POLLIN, 0};
    if (poll(&readable, 1, -1) < 0 && errno != EINTR) return -errno;
  }
  reaped_ = true;
  exit_.elapsed_ns = MonotonicNs() - started_ns_;
  RecordExit(info, usage, &exit_);
  return 1;
}

void ChildHandle::Release() {
  if (first_look_ != nullptr) {
    uv_idle_stop(first_look_);
    uv_close(reinterpret_cast<uv_handle_t*>(first_look_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_idle_t*>(handle); });
    first_look_ = nullptr;
  }
  if (join_timer_ != nullptr) {
    uv_timer_stop(join_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(join_timer_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    join_timer_ = nullptr;
  }
  if (poll_key_ != 0) {
    data_->poller.Remove(poll_key_);
    poll_key_ = 0;
  }
  // The pidfd closes only after the reap, so its number cannot be reused
  // while a kill() through it could still be aimed at our child.
  if (pidfd_ >= 0) {
    close(pidfd_);
    pidfd_ = -1;
  }
  // The stack, TLS and block outlive the child: a reaped process or a
  // joined thread no longer runs on them. Otherwise (a thread at env
  // teardown that would not stop) they stay mapped.
  if (has_task_ && reaped_) {
    // The exit object reads the block, so keep what it needs.
    task_result_ = *task_.block;
    task_.Free();
    has_task_ = false;
    has_task_result_ = true;
  }
  if (data_ != nullptr) {
    data_->live_children.erase(this);
    data_ = nullptr;
    Unref();
  }
}

bool ExitToFields(Napi::Env env, pid_t pid, const ExitRecord& exit, const TaskBlock* task_result) {
  AddonData* data = env.GetInstanceData<AddonData>();
  double* f = data != nullptr ? data->Fields() : nullptr;
  if (f == nullptr) return false;
  ExitFieldsTo(f, pid, exit);
  if (task_result != nullptr) TaskResultFields(*task_result, f);
  return true;
}

void ChildHandle::NotifyExit(Napi::Env env, Napi::Object self, bool from_event_loop) {
  if (on_exit_.IsEmpty()) return;
  Napi::FunctionReference callback = std::move(on_exit_);
  // Read by the callback at once, before anything else can write them.
  if (!ExitToFields(env, pid_, exit_, has_task_result_ ? &task_result_ : nullptr)) return;
  if (from_event_loop) {
    // MakeCallback, so that promise reactions run after it as after any I/O.
    callback.MakeCallback(self, {});
  } else {
    callback.Call(self, {});
  }
}

void ChildHandle::OnExitObserved() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // Release() drops the self-reference, and the exit object's allocations
  // may then run a GC: this local handle keeps the wrapper (and so `this`)
  // alive until the callback is done.
  Napi::Object self = Value();
  Release();
  NotifyExit(env, self, true);
}

void ChildHandle::OnPidfdReadable(void* owner, int status) {
  ChildHandle* self = static_cast<ChildHandle*>(owner);
  int r = self->Reap(false);
  if (r == 0 && status == 0) return;  // spurious wake-up
  if (r < 0) self->MarkReapedElsewhere();
  self->OnExitObserved();
}

// ECHILD: someone reaped it behind our back (a waitpid(-1) elsewhere, or
// the kernel, when Node's SIGCHLD is SIG_IGN). A child of ours that WNOHANG
// does not find running has ended, so its stack and block are free. Report
// what we know rather than watch a dead descriptor forever.
void ChildHandle::MarkReapedElsewhere() {
  reaped_ = true;
  exit_.exit_code = -1;
}

void ChildHandle::OnJoinTimer(uv_timer_t* timer) {
  ChildHandle* self = static_cast<ChildHandle*>(timer->data);
  if (self->Reap(false) == 1) self->OnExitObserved();
}

void ChildHandle::EndNow() {
  SendKill(SIGKILL);
  Reap(true);
}

// A child sharing Node's handlers keeps every signal blocked, so it is
// told with the task's cancel signal: tgkill for a thread (a process-wide
// kill would reach Node), the pidfd for a process. SIGKILL needs no
// handler and reaches only the thread group it names, so a process that is
// not a thread gets it as it is: it ends even where no task looks for a kill.
void ChildHandle::SendKill(int signal) {
  if (has_task_ && task_.block->shares_handlers && (thread_ || signal != SIGKILL)) {
    if (thread_) {
      syscall(SYS_tgkill, getpid(), pid_, kTaskCancelSignal);
    } else {
      syscall(SYS_pidfd_send_signal, pidfd_, kTaskCancelSignal, nullptr, 0);
    }
    return;
  }
  syscall(SYS_pidfd_send_signal, pidfd_, signal, nullptr, 0);
}

Napi::Value ChildHandle::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : SIGTERM;
  if (reaped_) return Napi::Boolean::New(env, false);
  if (has_task_ && task_.block->shares_handlers) {
    // tgkill/pidfd with the cancel signal; the task stops at its next look.
    if (__atomic_load_n(&task_.block->done, __ATOMIC_ACQUIRE)) return Napi::Boolean::New(env, false);
    SendKill(sig);
    return Napi::Boolean::New(env, true);
  }
  if (pidfd_ < 0) return Napi::Boolean::New(env, false);
  if (syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0) == 0) return Napi::Boolean::New(env, true);
  if (errno == ESRCH) return Napi::Boolean::New(env, false);
  ThrowCloneError(env, -errno, "pidfd_send_signal", nullptr, 0);
  return env.Undefined();
}

bool ChildHandle::FinishNow(Napi::Env env, Napi::Object self, bool kill) {
  if (reaped_) return true;
  if (kill) SendKill(SIGKILL);
  int r = Reap(true);
  if (r < 0) {
    ThrowCloneError(env, r, "waitid", nullptr, 0);
    return false;
  }
  Release();
  NotifyExit(env, self, false);
  return true;
}

// The exit reaches JS through the exit callback, as it would from the loop.
Napi::Value ChildHandle::WaitSync(const Napi::CallbackInfo& info) {
  FinishNow(info.Env(), info.This().As<Napi::Object>(), false);
  return info.Env().Undefined();
}

Napi::Value ChildHandle::Close(const Napi::CallbackInfo& info) {
  FinishNow(info.Env(), info.This().As<Napi::Object>(), true);
  return info.Env().Undefined();
}

Napi::Value ChildHandle::SetRef(const Napi::CallbackInfo& info) {
  const bool ref = info[0].ToBoolean().Value();
  ref_ = ref;
  if (poll_key_ != 0) data_->poller.SetRef(poll_key_, ref);
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(first_look_), reinterpret_cast<uv_handle_t*>(join_timer_)}) {
    if (handle == nullptr) continue;
    if (ref) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
  return info.Env().Undefined();
}

void ChildHandle::Teardown() {
  if (!reaped_ && !kill_at_exit_) {
    // It outlives Node: reap it only if it has already ended, so it is no
    // zombie of ours; else closing the pidfd below lets it go.
    Reap(false);
  } else if (!reaped_) {
    SendKill(SIGKILL);
    // A thread stops at its task's next look for the cancel signal; one
    // that does not (a long sumArray chunk) keeps its stack: see Release.
    if (!thread_) {
      Reap(true);
    } else {
      for (int i = 0; i < 100 && Reap(false) == 0; i++) usleep(1000);
    }
  }
  on_exit_.Reset();
  Release();
}

}  // namespace lc
