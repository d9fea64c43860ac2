// The parent's side of a task child: it allocates the stack and TLS the
// child runs on and clones it (tasks.cc runs in it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "clone_call.h"
#include "tasks.h"

namespace lc {

// What a task child runs on and reports into. It must outlive the child:
// freed only after the kernel has cleared the child's TID or after the reap.
struct TaskResources {
  Stack stack;
  Tls tls;
  TaskBlock* block = nullptr;
  size_t block_size = 0;
  void* elements_copy = nullptr;  // sumArray's elements, when JS could free them under the child
  size_t elements_copy_size = 0;
  void Free();
};

struct TaskRequest {
  uint64_t flags = 0;  // exactly what goes to the kernel
  int exit_signal = 0;
  size_t stack_size = 0;  // page-aligned
};

// Clones a child that runs the task in resources->block (already filled),
// allocating its stack and, with CLONE_SETTLS, its TLS. Returns 0 or -errno;
// on error nothing was cloned and the resources are freed.
int CloneTaskChild(const TaskRequest& request, TaskResources* resources, CloneOutcome* out);

}  // namespace lc
