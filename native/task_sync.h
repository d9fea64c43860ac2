// cloneTaskSync: a task child cloned and joined in one call, for a caller
// that would block in waitSync anyway. No handle, no poller and no second
// crossing: the calling thread waits on the CLEARTID futex (a thread) or in
// waitid on the pidfd (a process), and leaves the exit in the env's fields
// as waitSync would have.
#pragma once

#include <napi.h>

namespace lc {

// cloneTaskSync(fields, data?, payload?, word?) (task_plan.h) -> undefined, the exit in the env's fields
// (child_handle.h's ExitToFields), or throws as cloneTask does: a coded TypeError/RangeError for a bad plan
// before anything is cloned, a CloneError for a refused clone.
Napi::Value CloneTaskSync(const Napi::CallbackInfo& info);

}  // namespace lc
