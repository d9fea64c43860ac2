// Raw x86_64 system calls for code that runs in a cloned child.
//
// A child made with CLONE_VM shares Node's memory, and any raw child shares
// glibc's per-thread state with the thread that cloned it. glibc's wrappers
// write errno (a TLS slot that belongs to that thread) and some take locks,
// so the child may only use these: the result comes back in rax as either a
// value or -errno, and nothing else in memory is touched.
#pragma once

#include <cstdint>

#include "child_code.h"

namespace lc {

LC_CHILD_CODE inline long RawSyscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                                     long a6 = 0) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

// Ends only the calling task. In a CLONE_THREAD child exit_group would end
// Node itself, so every child path ends here or in execve.
[[noreturn]] LC_CHILD_CODE inline void RawExit(int code) {
  for (;;) RawSyscall(60 /* SYS_exit */, code);
}

}  // namespace lc
