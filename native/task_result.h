// A task's result, from its block into the exit fields JS reads.
#pragma once

#include "tasks.h"

namespace lc {

// Writes the cancelled mark and, for a task that finished, its value into
// `exit_fields` (handle_fields.h): a number, a bigint, tasks.probe()'s
// report or the sharing probe's marks.
void TaskResultFields(const TaskBlock& block, double* exit_fields);

}  // namespace lc
