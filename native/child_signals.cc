#include "child_signals.h"

#include <signal.h>
#include <sys/syscall.h>

namespace lc {

LC_CHILD_CODE long ResetSignalDispositions() {
  KernelSigaction dfl = {};
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    long r = RawSyscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, sizeof(long));
    if (r < 0) return r;
  }
  return 0;
}

LC_CHILD_CODE long UnblockAllSignals() {
  const unsigned long none = 0;
  return RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof none);
}

}  // namespace lc
