#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

namespace lc {
namespace {

// Syscalls of the x32 ABI carry this bit in their number; they reach the
// same kernel functions under other numbers, so a deny list must refuse
// them all, as it refuses every other architecture's entry points (a 32-bit
// int 0x80 numbers its syscalls differently).
constexpr unsigned kX32SyscallBit = 0x40000000;

sock_filter Statement(unsigned short code, unsigned k) { return BPF_STMT(code, k); }
sock_filter Jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  return BPF_JUMP(code, k, jt, jf);
}

}  // namespace

bool BuildDenyFilter(const std::vector<int>& syscalls, std::vector<sock_filter>* program) {
  const unsigned deny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  // Each denied number is a compare followed by its own return, so no jump
  // is longer than one instruction whatever the list's length.
  const size_t length = 11 + 2 * syscalls.size();
  if (length > BPF_MAXINSNS) return false;
  program->clear();
  program->reserve(length);
  program->push_back(Statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  program->push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  program->push_back(Statement(BPF_RET | BPF_K, deny));
  program->push_back(Statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  program->push_back(Jump(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, 0, 1));
  program->push_back(Statement(BPF_RET | BPF_K, deny));
  // A child must always be able to end: with exit denied, a failed execve
  // would leave it retrying its exit for good (and Node waiting in vfork).
  // So these two pass whatever the list says; JS refuses listing them.
  for (unsigned always : {static_cast<unsigned>(SYS_exit), static_cast<unsigned>(SYS_exit_group)}) {
    program->push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, always, 0, 1));
    program->push_back(Statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  }
  for (int nr : syscalls) {
    program->push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
    program->push_back(Statement(BPF_RET | BPF_K, deny));
  }
  program->push_back(Statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return true;
}

}  // namespace lc
