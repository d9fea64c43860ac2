// A task's result, from its block into the exit object JS receives.
#pragma once

#include <napi.h>

#include "tasks.h"

namespace lc {

// Sets `cancelled` and, for a task that finished, `value` on `out`: a
// number, a bigint, tasks.probe()'s report or the sharing probe's marks.
void TaskResultInto(Napi::Env env, const TaskBlock& block, Napi::Object out);

}  // namespace lc
