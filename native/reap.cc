#include "reap.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lc {

void ReapExited(idtype_t type, int id) {
  // __WALL: a child whose exit signal is not SIGCHLD is reported only with it.
  siginfo_t info;
  while (syscall(SYS_waitid, type, id, &info, WEXITED | __WALL, nullptr) < 0 && errno == EINTR) {
  }
}

void KillAndReap(idtype_t type, int id) {
  if (type == P_PIDFD) {
    syscall(SYS_pidfd_send_signal, id, SIGKILL, nullptr, 0);
  } else {
    kill(id, SIGKILL);
  }
  ReapExited(type, id);
}

}  // namespace lc
