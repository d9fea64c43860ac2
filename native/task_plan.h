// The task plan clone.ts packs for the addon -> a TaskRequest and a filled
// TaskBlock. The plan's numbers cross as one Float64Array, in the order of
// TaskPlanField (lib/tasks.ts's TASK_PLAN_FIELDS, which a test holds to
// taskPlanFields below); the typed arrays a task reads cross beside it.
#pragma once

#include <napi.h>

#include "task_clone.h"

namespace lc {

enum TaskPlanField : int {
  kPlanKind,
  kPlanArg,
  kPlanFault,
  kPlanFd,
  kPlanStart,
  kPlanEnd,
  kPlanUmask,
  kPlanFdSource,
  kPlanFdTarget,
  kPlanSemid,
  kPlanSignal,
  kPlanFlagsLow,   // the CLONE_* bits 0-31
  kPlanFlagsHigh,  // the CLONE_* bits 32-63
  kPlanExitSignal,
  kPlanStackSize,
  kTaskPlanFieldCount,
};

// The field names in TaskPlanField's order, for the test that holds JS to it.
Napi::Array TaskPlanFieldNames(Napi::Env env);

// What crosses with the numbers: sumArray's view, write's bytes, the
// sharing probe's word; each undefined when the task has none.
struct TaskPlanObjects {
  Napi::Value data;
  Napi::Value payload;
  Napi::Value word;
};

// Fills `request` and allocates `resources->block` (a MAP_SHARED page the
// parent reads whatever the flags) from the packed plan. On bad input it
// throws a coded TypeError or RangeError in `env` and returns false, holding
// nothing; JS has validated already, so this only guards the boundary.
bool ReadTaskPlan(Napi::Env env, Napi::Value fields, const TaskPlanObjects& objects, TaskRequest* request,
                  TaskResources* resources);

}  // namespace lc
