#include "wait.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

namespace lc {
namespace {

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

double Microseconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
}

// The same names as process.resourceUsage().
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

}  // namespace

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

Napi::Value ChildHandle::Create(Napi::Env env, const SpawnOutcome& outcome, uint64_t flags, int exit_signal,
                                Napi::Function on_exit) {
  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Object object = data->child_constructor.New({});
  if (env.IsExceptionPending()) {
    close(outcome.pidfd);
    return env.Undefined();
  }
  ChildHandle* self = Unwrap(object);
  self->pid_ = outcome.pid;
  self->pidfd_ = outcome.pidfd;
  self->started_ns_ = outcome.started_ns;
  self->on_exit_ = Napi::Persistent(on_exit);
  self->data_ = data;
  object.Set("pid", Napi::Number::New(env, outcome.pid));
  object.Set("pidfd", Napi::Number::New(env, outcome.pidfd));
  object.Set("flags", Napi::BigInt::New(env, flags));
  object.Set("exitSignal", Napi::Number::New(env, exit_signal));
  object.Set("syscall", Napi::String::New(env, outcome.via == CloneVia::kClone3 ? "clone3" : "clone"));

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  self->poll_ = new uv_poll_t;
  int err = uv_poll_init(loop, self->poll_, self->pidfd_);
  if (err == 0) err = uv_poll_start(self->poll_, UV_READABLE, OnPidfdReadable);
  if (err != 0) {
    // Without a poller nothing would reap it: do not leave it running.
    delete self->poll_;
    self->poll_ = nullptr;
    syscall(SYS_pidfd_send_signal, self->pidfd_, SIGKILL, nullptr, 0);
    self->Reap(true);
    self->Release();
    ThrowCloneError(env, err, "uv_poll_start", nullptr, 0);
    return env.Undefined();
  }
  self->poll_->data = self;
  self->Ref();  // alive until reaped, whether or not JS keeps the handle
  data->live_children.insert(self);
  return object;
}

int ChildHandle::Reap(bool block) {
  if (reaped_) return 1;
  siginfo_t info = {};
  rusage usage = {};
  for (;;) {
    // __WALL: a child whose exit signal is not SIGCHLD is a "clone" child,
    // which waitid only reports with __WALL. Always WNOHANG: uv_poll_init
    // made the pidfd non-blocking, and since Linux 5.10 waitid on such a
    // pidfd answers EAGAIN instead of blocking, so blocking is poll's job.
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
  exit_.usage = usage;
  if (info.si_code == CLD_EXITED) {
    exit_.exit_code = info.si_status;
  } else {
    exit_.signal = info.si_status;
    exit_.core_dumped = info.si_code == CLD_DUMPED;
  }
  return 1;
}

void ChildHandle::Release() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  // The pidfd closes only after the reap, so its number cannot be reused
  // while a kill() through it could still be aimed at our child.
  if (pidfd_ >= 0) {
    close(pidfd_);
    pidfd_ = -1;
  }
  if (data_ != nullptr) {
    data_->live_children.erase(this);
    data_ = nullptr;
    Unref();
  }
}

Napi::Object ChildHandle::ExitObject(Napi::Env env) const {
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid_));
  out.Set("exitCode", exit_.signal == 0 ? Napi::Number::New(env, exit_.exit_code) : env.Null());
  out.Set("signal", Napi::Number::New(env, exit_.signal));
  out.Set("coreDumped", Napi::Boolean::New(env, exit_.core_dumped));
  out.Set("rusage", RusageObject(env, exit_.usage));
  out.Set("elapsedMs", Napi::Number::New(env, static_cast<double>(exit_.elapsed_ns) / 1e6));
  return out;
}

void ChildHandle::NotifyExit(Napi::Env env, bool from_event_loop) {
  if (on_exit_.IsEmpty()) return;
  Napi::FunctionReference callback = std::move(on_exit_);
  Napi::Object info = ExitObject(env);
  if (from_event_loop) {
    // MakeCallback, so that promise reactions run after it as after any I/O.
    callback.MakeCallback(Value(), {info});
  } else {
    callback.Call(Value(), {info});
  }
}

void ChildHandle::OnPidfdReadable(uv_poll_t* poll, int status, int /*events*/) {
  ChildHandle* self = static_cast<ChildHandle*>(poll->data);
  int r = self->Reap(false);
  if (r == 0 && status == 0) return;  // spurious wake-up
  if (r < 0) {
    // ECHILD: someone reaped it behind our back (a waitpid(-1) elsewhere).
    // Report what we know rather than poll a dead descriptor forever.
    self->reaped_ = true;
    self->exit_.exit_code = -1;
  }
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  self->Release();
  self->NotifyExit(env, true);
}

Napi::Value ChildHandle::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : SIGTERM;
  if (reaped_ || pidfd_ < 0) return Napi::Boolean::New(env, false);
  if (syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0) == 0) return Napi::Boolean::New(env, true);
  if (errno == ESRCH) return Napi::Boolean::New(env, false);
  ThrowCloneError(env, -errno, "pidfd_send_signal", nullptr, 0);
  return env.Undefined();
}

Napi::Value ChildHandle::WaitSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reaped_) {
    int r = Reap(true);
    if (r < 0) {
      ThrowCloneError(env, r, "waitid", nullptr, 0);
      return env.Undefined();
    }
    Release();
    NotifyExit(env, false);
  }
  return ExitObject(env);
}

Napi::Value ChildHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reaped_) {
    syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    int r = Reap(true);
    if (r < 0) {
      ThrowCloneError(env, r, "waitid", nullptr, 0);
      return env.Undefined();
    }
    Release();
    NotifyExit(env, false);
  }
  return env.Undefined();
}

Napi::Value ChildHandle::SetRef(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) {
    if (info[0].ToBoolean().Value()) {
      uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
  }
  return info.Env().Undefined();
}

void ChildHandle::Teardown() {
  if (!reaped_) {
    syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    Reap(true);
  }
  on_exit_.Reset();
  Release();
}

}  // namespace lc
