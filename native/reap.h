// Ending and reaping a child that no handle watches: one that failed
// before exec, or one no handle could be made for. Nothing is left running
// and nothing is left a zombie.
#pragma once

#include <sys/wait.h>

namespace lc {

// Waits for the child `id` (a pidfd with P_PIDFD, a PID with P_PID) to
// exit, and reaps it.
void ReapExited(idtype_t type, int id);
// SIGKILL, then the same.
void KillAndReap(idtype_t type, int id);

}  // namespace lc
