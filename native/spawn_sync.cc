#include "spawn_sync.h"

#include <vector>

#include "options.h"
#include "spawn.h"
#include "spawn_failure.h"
#include "sync_io.h"
#include "unique_fd.h"

namespace lc {
namespace {

// Per slot: what the child wrote to it, or null for a slot nobody read.
Napi::Array OutputArray(Napi::Env env, const std::vector<SyncStream>& streams) {
  Napi::Array output = Napi::Array::New(env, streams.size());
  for (size_t i = 0; i < streams.size(); i++) {
    const SyncStream& stream = streams[i];
    Napi::Value value = env.Null();
    if (stream.collect) value = Napi::Buffer<char>::Copy(env, stream.output.data(), stream.output.size());
    output.Set(static_cast<uint32_t>(i), value);
  }
  return output;
}

Napi::Object ResultObject(Napi::Env env, pid_t pid, uint64_t flags, const SyncOutcome& outcome,
                          const std::vector<SyncStream>& streams) {
  const ExitRecord& exit = outcome.exit;
  Napi::Object out = Napi::Object::New(env);
  ExitFieldsInto(env, pid, exit, out);
  out.Set("flags", Napi::BigInt::New(env, flags));
  out.Set("output", OutputArray(env, streams));
  out.Set("error", Napi::Number::New(env, outcome.error));
  out.Set("timedOut", Napi::Boolean::New(env, outcome.timed_out));
  out.Set("overflowed", Napi::Boolean::New(env, outcome.overflowed));
  return out;
}

}  // namespace

Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan;
  std::vector<SyncStream> streams;
  SyncLimits limits;
  if (!ReadSpawnPlan(env, info[0], &plan) || !ReadSyncControls(env, info[1], &plan, &streams, &limits))
    return env.Undefined();

  CloneOutcome child;
  ChildReport report;
  int err = SpawnProcess(&plan.request, &child, &report);
  // Our copies of the child's ends must go, or no read would see EOF.
  plan.CloseChildEnds();
  if (ThrowIfSpawnFailed(env, plan, child, err, report)) return env.Undefined();
  UniqueFd pidfd(child.pidfd);
  SyncOutcome outcome;
  RunSyncIo(child, &streams, limits, &outcome);
  return ResultObject(env, child.pid, plan.request.flags, outcome, streams);
}

}  // namespace lc
