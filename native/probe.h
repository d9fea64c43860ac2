// The parent's side of the sharing probe (probe()), and a disposition reader
// the exit-signal check shares.
#pragma once

#include <napi.h>

namespace lc {

// saveDisposition, currentDisposition, restoreDisposition, semaphoreCreate,
// semaphoreValue, semaphoreRemove.
Napi::Object ProbeSupport(Napi::Env env);

}  // namespace lc
