// What a spawn that failed throws: a CloneError naming the clone syscall,
// or the step of the child program that failed and what it worked on.
#pragma once

#include <napi.h>

#include "clone_call.h"
#include "exec_child.h"
#include "options.h"

namespace lc {

// After SpawnProcess returned `err` with `report`: throws the CloneError in
// `env` and returns true if the spawn failed, or returns false.
bool ThrowIfSpawnFailed(Napi::Env env, const SpawnPlan& plan, const CloneOutcome& outcome, int err,
                        const ChildReport& report);

}  // namespace lc
