// The parent's side of an exec child: it clones the child (exec_child.cc
// runs in it), answers its reports, and waits until it has exec'd or failed.
#pragma once

#include <cstdint>

#include "clone_call.h"
#include "exec_child.h"

namespace lc {

struct SpawnRequest {
  ExecPlan exec;
  // Exactly what goes to the kernel, CLONE_PIDFD included; SpawnProcess drops
  // CLONE_PIDFD where the legacy clone made the child without it.
  uint64_t flags = 0;
  int exit_signal = 0;
  int cgroup_fd = -1;  // with CLONE_INTO_CGROUP
  // Where CLONE_PARENT_SETTID / CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
  // write. With CLONE_VM the kernel clears child_tid at exec, so these live
  // as long as the request, past the clone.
  pid_t parent_tid = 0;
  pid_t child_tid = 0;
};

// Clones the exec child and waits until it has exec'd or failed. Returns 0
// or -errno from the clone itself. On 0, a report with step != 0 says the
// child failed before exec; it was reaped, and out->pidfd is -1.
int SpawnProcess(SpawnRequest* request, CloneOutcome* out, ChildReport* report);

// The syscall a failed step names in its error.
const char* ChildStepSyscall(ChildStep step);

}  // namespace lc
