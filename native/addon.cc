// The addon's entry: exports, per-env state and its cleanup hook, and the
// thin glue of spawn and cloneTask (plan -> clone -> handle). spawnSync's
// glue is spawn_sync.cc.
#include <errno.h>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "addon.h"
#include "child_handle.h"
#include "clone_call.h"
#include "errors.h"
#include "handle_fields.h"
#include "options.h"
#include "probe.h"
#include "spawn.h"
#include "spawn_failure.h"
#include "spawn_sync.h"
#include "task_clone.h"
#include "task_plan.h"
#include "task_sync.h"

namespace lc {
namespace {

// spawn(plan, onExit) -> ChildHandle, or throws a CloneError.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsFunction()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "spawn needs an exit callback");
    return env.Undefined();
  }
  SpawnPlan plan;
  if (!ReadSpawnPlan(env, info[0], &plan)) return env.Undefined();

  CloneOutcome outcome;
  ChildReport report;
  int err = SpawnProcess(&plan.request, &outcome, &report);
  plan.CloseChildEnds();
  if (ThrowIfSpawnFailed(env, plan, outcome, err, report)) return env.Undefined();

  Napi::Value handle = ChildHandle::Create(env, outcome, plan.request.flags, plan.request.exit_signal,
                                           plan.kill_at_exit, info[1].As<Napi::Function>());
  // Not an object: a throw, or an env that is ending (the child is gone).
  if (env.IsExceptionPending() || !handle.IsObject()) return env.Undefined();
  // Our ends of the pipes go to JS, which wraps them in streams. (The
  // fields are there: the handle was just made with them.)
  double* f = env.GetInstanceData<AddonData>()->Fields();
  if (f == nullptr) return env.Undefined();
  f[fields::kHandleStdioCount] = static_cast<double>(plan.parent_ends.size());
  for (size_t i = 0; i < plan.parent_ends.size(); i++)
    f[fields::kHandleStdio + i] = plan.parent_ends[i].Release();
  return handle;
}

// cloneTask(fields, onExit, data?, payload?, word?) -> ChildHandle, or
// throws a CloneError. task_plan.h says what the arguments hold.
Napi::Value CloneTask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsFunction()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "cloneTask needs an exit callback");
    return env.Undefined();
  }
  TaskRequest request;
  TaskResources resources;
  if (!ReadTaskPlan(env, info[0], {info[2], info[3], info[4]}, &request, &resources)) return env.Undefined();
  CloneOutcome outcome;
  int err = CloneTaskChild(request, &resources, &outcome);
  if (err != 0) {
    ThrowCloneError(env, err, outcome.via == CloneVia::kClone3 ? "clone3" : "clone", nullptr, request.flags);
    return env.Undefined();
  }
  return ChildHandle::CreateTask(env, outcome, request.flags, request.exit_signal, resources,
                                 info[1].As<Napi::Function>());
}

// pidfdOpen(pid) -> fd, for entering a process's namespaces. pidfds are
// close-on-exec from birth.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "pidfdOpen needs a PID");
    return env.Undefined();
  }
  // Int32Value would wrap 2^32+1 to pid 1: anything but a pid is refused.
  const double pid = info[0].As<Napi::Number>().DoubleValue();
  if (!(pid >= 1 && pid <= INT32_MAX) || pid != static_cast<int>(pid)) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "pidfdOpen needs a PID from 1 to 2^31-1");
    return env.Undefined();
  }
  long fd = syscall(SYS_pidfd_open, static_cast<int>(pid), 0);
  if (fd < 0) {
    ThrowCloneError(env, -errno, "pidfd_open", nullptr, 0);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// socketpair() -> [parentFd, childFd]: a connected AF_UNIX stream pair, both
// ends close-on-exec from birth (a process forked meanwhile by another
// thread must not inherit either), for a stdio slot that carries data both
// ways. Node's own 'pipe' slots are such pairs.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    ThrowCloneError(env, -errno, "socketpair", nullptr, 0);
    return env.Undefined();
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  if (!env.IsExceptionPending()) pair.Set(0u, Napi::Number::New(env, ends[0]));
  if (!env.IsExceptionPending()) pair.Set(1u, Napi::Number::New(env, ends[1]));
  // An env that is ending cannot take them: nobody would close them.
  if (env.IsExceptionPending() || pair.IsEmpty()) {
    close(ends[0]);
    close(ends[1]);
    return env.Undefined();
  }
  return pair;
}

// Children still running when their environment ends (process exit, or a
// worker terminated) are killed and reaped: nobody would be left to reap
// them, and a worker's would stay zombies of the process. Those spawned
// with killAtExit false are left running, as child_process leaves its own.
void TeardownLiveChildren(AddonData* data) {
  std::vector<ChildHandle*> live(data->live_children.begin(), data->live_children.end());
  for (ChildHandle* child : live) child->Teardown();
}

// The env's cleanup hook: its children, then the poller that watched them.
void CleanupEnv(AddonData* data) {
  TeardownLiveChildren(data);
  data->poller.Close();
}

// teardown(): the children alone, called from process.on('exit'):
// process.exit() ends the process without running the env's cleanup hooks,
// and an 'exit' listener may still spawn, so the poller stays.
Napi::Value TeardownChildren(const Napi::CallbackInfo& info) {
  TeardownLiveChildren(info.Env().GetInstanceData<AddonData>());
  return info.Env().Undefined();
}

}  // namespace

AddonData::AddonData() : poller(ChildHandle::OnPidfdReadable) {}

double* AddonData::Fields() {
  if (field_array.IsEmpty()) return nullptr;
  Napi::Float64Array array = field_array.Value();
  if (array.IsEmpty() || array.ElementLength() < static_cast<size_t>(fields::kCount)) return nullptr;
  return array.Data();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  AddonData* data = new AddonData();
  env.SetInstanceData(data);
  data->child_constructor = Napi::Persistent(ChildHandle::Define(env));
  Napi::Float64Array field_array = Napi::Float64Array::New(env, fields::kCount);
  data->field_array = Napi::Persistent(field_array);
  env.AddCleanupHook(CleanupEnv, data);

  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("spawnSync", Napi::Function::New(env, SpawnSync, "spawnSync"));
  exports.Set("cloneTask", Napi::Function::New(env, CloneTask, "cloneTask"));
  exports.Set("cloneTaskSync", Napi::Function::New(env, CloneTaskSync, "cloneTaskSync"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("teardown", Napi::Function::New(env, TeardownChildren, "teardown"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("probeSupport", ProbeSupport(env));
  exports.Set("fields", field_array);
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  exports.Set("taskPlanFields", TaskPlanFieldNames(env));
  return exports;
}

}  // namespace lc

static Napi::Object InitLinuxClone(Napi::Env env, Napi::Object exports) { return lc::Init(env, exports); }

NODE_API_MODULE(linux_clone, InitLinuxClone)
