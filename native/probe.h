// The parent's side of the sharing probe (explain.ts's probe()).
#pragma once

#include <napi.h>

namespace lc {

// saveDisposition, currentDisposition, restoreDisposition, semaphoreCreate,
// semaphoreValue, semaphoreRemove.
Napi::Object ProbeSupport(Napi::Env env);

}  // namespace lc
