// The seccomp filter for spawn's `seccomp` option: a deny list of syscalls
// that fail with EPERM. Built in the parent; the child only loads it.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace lc {

// Syscall numbers (x86_64) -> a BPF program. exit and exit_group are always
// allowed, listed or not, so the child can end. Returns false when the list is
// too long for one program (BPF_MAXINSNS).
bool BuildDenyFilter(const std::vector<int>& syscalls, std::vector<sock_filter>* program);

}  // namespace lc
