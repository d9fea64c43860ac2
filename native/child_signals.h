// Signal dispositions in a raw child, through rt_sigaction directly: the
// exec child resets them before it execs, and a task that does not share
// Node's handlers before it runs.
#pragma once

#include "raw_syscall.h"

namespace lc {

// The kernel's struct sigaction for rt_sigaction (not glibc's, which is larger).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};

constexpr int kMaxSignal = 64;

// Sets every disposition but SIGKILL's and SIGSTOP's to SIG_DFL, ignored
// ones too (as libuv does, so a program does not inherit Node's SIG_IGN for
// SIGPIPE). Returns 0, or the first -errno.
long ResetSignalDispositions();
// Unblocks every signal. Returns 0 or -errno.
long UnblockAllSignals();

}  // namespace lc
