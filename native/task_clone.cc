#include "task_clone.h"

#include <linux/sched.h>

namespace lc {

void TaskResources::Free() {
  TaskStackRelease(&stack);
  TaskTlsRelease(&tls);
  SharedRelease(block, block_size);
  block = nullptr;
  if (elements_copy != nullptr) SharedRelease(elements_copy, elements_copy_size);
  elements_copy = nullptr;
}

int CloneTaskChild(const TaskRequest& request, TaskResources* resources, CloneOutcome* out) {
  int err = TaskStackAllocate(request.stack_size, &resources->stack);
  if (err == 0 && (request.flags & CLONE_SETTLS)) err = TaskTlsAllocate(&resources->tls);
  if (err != 0) {
    resources->Free();
    return err;
  }
  TaskBlock* block = resources->block;
  CloneRequest clone_request;
  clone_request.flags = request.flags;
  clone_request.exit_signal = request.exit_signal;
  clone_request.stack = &resources->stack;
  clone_request.tls = resources->tls.tcb();
  if (request.flags & CLONE_PARENT_SETTID) clone_request.parent_tid = &block->parent_tid;
  if (request.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
    clone_request.child_tid = &block->child_tid;
  // CLONE_CHILD_CLEARTID clears child_tid at exit; the kernel writes it
  // with CLONE_CHILD_SETTID only in the child, so set it here too, before
  // a join could look at it.
  if (request.flags & CLONE_CHILD_CLEARTID) __atomic_store_n(&block->child_tid, -1, __ATOMIC_RELAXED);
  // The child starts with every signal blocked (CloneCall): one sharing
  // Node's handlers keeps them so (tasks.cc), any other resets its
  // dispositions before unblocking.
  err = CloneCall(clone_request, TaskChildMain, block, out);
  if (err != 0) resources->Free();
  return err;
}

}  // namespace lc
