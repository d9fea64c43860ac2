// Per-environment state: each Node environment (the main thread, each
// worker) loads the addon into its own instance.
#pragma once

#include <napi.h>

#include <unordered_set>

#include "child_poller.h"

namespace lc {

class ChildHandle;

struct AddonData {
  AddonData();
  // The handle and exit fields (handle_fields.h), or null when the array
  // is gone (detached) or too short.
  double* Fields();
  Napi::FunctionReference child_constructor;
  Napi::FunctionReference error_factory;
  Napi::Reference<Napi::Float64Array> field_array;
  // Children still running, for the env cleanup hook.
  std::unordered_set<ChildHandle*> live_children;
  // Watches the pidfds of all of them.
  ChildPoller poller;
};

}  // namespace lc
