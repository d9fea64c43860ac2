// The parent's side of the sharing probe: state it sets up before the
// clone, reads after the child has left its marks, and restores. The
// exit-signal check reads currentDisposition too, to learn whether Node
// handles a signal.
#include <errno.h>
#include <napi.h>
#include <signal.h>
#include <sys/sem.h>

#include <cstdint>

#include "errors.h"
#include "probe.h"

namespace lc {
namespace {

// Saved dispositions, one per signal: probes are serialized in JS.
struct sigaction saved_actions[65];

int SignalArg(const Napi::CallbackInfo& info) {
  int sig = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  return sig >= 1 && sig <= 64 ? sig : 0;
}

// 0 default, 1 ignored, 2 a handler.
Napi::Value DispositionKind(Napi::Env env, const struct sigaction& action) {
  int kind = action.sa_handler == SIG_DFL ? 0 : action.sa_handler == SIG_IGN ? 1 : 2;
  return Napi::Number::New(env, kind);
}

Napi::Value SaveDisposition(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = SignalArg(info);
  if (sig == 0 || sigaction(sig, nullptr, &saved_actions[sig]) != 0) {
    ThrowCloneError(env, sig == 0 ? -EINVAL : -errno, "rt_sigaction", nullptr, 0);
    return env.Undefined();
  }
  return DispositionKind(env, saved_actions[sig]);
}

Napi::Value CurrentDisposition(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = SignalArg(info);
  struct sigaction now;
  if (sig == 0 || sigaction(sig, nullptr, &now) != 0) {
    ThrowCloneError(env, sig == 0 ? -EINVAL : -errno, "rt_sigaction", nullptr, 0);
    return env.Undefined();
  }
  return DispositionKind(env, now);
}

Napi::Value RestoreDisposition(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = SignalArg(info);
  if (sig == 0 || sigaction(sig, &saved_actions[sig], nullptr) != 0) {
    ThrowCloneError(env, sig == 0 ? -EINVAL : -errno, "rt_sigaction", nullptr, 0);
  }
  return env.Undefined();
}

// A private one-semaphore set, value 0. Mode 0666: a child in a new user
// namespace (uid 65534 there) must be able to operate on it.
Napi::Value SemaphoreCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0666);
  if (id < 0) {
    ThrowCloneError(env, -errno, "semget", nullptr, 0);
    return env.Undefined();
  }
  return Napi::Number::New(env, id);
}

// The id semaphoreCreate returned. Anything else is refused before semctl,
// so a bad argument can never read or remove another program's set.
bool SemaphoreIdArg(const Napi::CallbackInfo& info, int* id) {
  if (!info[0].IsNumber()) {
    ThrowCodedTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "a semaphore id must be a number");
    return false;
  }
  double value = info[0].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= INT32_MAX) || value != static_cast<int>(value)) {
    ThrowCodedRangeError(info.Env(), "ERR_OUT_OF_RANGE", "a semaphore id must be an integer from 0");
    return false;
  }
  *id = static_cast<int>(value);
  return true;
}

Napi::Value SemaphoreValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = 0;
  if (!SemaphoreIdArg(info, &id)) return env.Undefined();
  int value = semctl(id, 0, GETVAL);
  if (value < 0) {
    ThrowCloneError(env, -errno, "semctl", nullptr, 0);
    return env.Undefined();
  }
  return Napi::Number::New(env, value);
}

Napi::Value SemaphoreRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = 0;
  if (SemaphoreIdArg(info, &id) && semctl(id, 0, IPC_RMID) != 0)
    ThrowCloneError(env, -errno, "semctl", nullptr, 0);
  return env.Undefined();
}

}  // namespace

Napi::Object ProbeSupport(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("saveDisposition", Napi::Function::New(env, SaveDisposition, "saveDisposition"));
  out.Set("currentDisposition", Napi::Function::New(env, CurrentDisposition, "currentDisposition"));
  out.Set("restoreDisposition", Napi::Function::New(env, RestoreDisposition, "restoreDisposition"));
  out.Set("semaphoreCreate", Napi::Function::New(env, SemaphoreCreate, "semaphoreCreate"));
  out.Set("semaphoreValue", Napi::Function::New(env, SemaphoreValue, "semaphoreValue"));
  out.Set("semaphoreRemove", Napi::Function::New(env, SemaphoreRemove, "semaphoreRemove"));
  return out;
}

}  // namespace lc
