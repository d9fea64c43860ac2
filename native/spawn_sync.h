// spawnSync: the addon's synchronous spawn. It clones through spawn.cc as
// spawn does, runs sync_io.cc's loop, and returns the exit and the output
// at once.
#pragma once

#include <napi.h>

namespace lc {

// spawnSync(plan, controls) -> { pid, flags, exitCode, signal, coreDumped,
// rusage, elapsedMs, output, error, timedOut, overflowed }, or throws a CloneError
// as spawn does when the clone or a step before exec fails.
Napi::Value SpawnSync(const Napi::CallbackInfo& info);

}  // namespace lc
