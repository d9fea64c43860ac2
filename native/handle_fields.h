// The numbers a new handle and an exit hand to JS: one Float64Array per
// env, written here and read at once by lib/exit-fields.ts, which mirrors
// this layout. A 64-bit integer is stored as its bits in its slot (JS reads
// it through a BigInt64Array or BigUint64Array over the same buffer).
#pragma once

#include <cstdint>
#include <cstring>

#include "policy.h"

namespace lc {
namespace fields {

// An exit: what wait() reports.
constexpr int kPid = 0;
constexpr int kExitCode = 1;  // meaningful when kSignal is 0
constexpr int kSignal = 2;
constexpr int kCoreDumped = 3;
constexpr int kRusage = 4;  // 9 slots, in the order of lib/addon-types.ts's Rusage
constexpr int kRusageCount = 9;
constexpr int kElapsedMs = kRusage + kRusageCount;
constexpr int kIsTask = kElapsedMs + 1;  // 1: the next slots hold a task's result
constexpr int kCancelled = kIsTask + 1;
constexpr int kValueKind = kCancelled + 1;  // a ValueOut
constexpr int kValue = kValueKind + 1;
// tasks.probe(): pid, tid, ppid, uid, gid, then the thread and stack
// pointers' bits. The sharing probe: tgid, ppid, semopErrno, then the
// namespace inodes.
constexpr int kDetail = kValue + 1;
constexpr int kDetailCount = 3 + policy::kNamespaceCount;
constexpr int kExitEnd = kDetail + kDetailCount;

// A new handle: what Child's constructor reads.
constexpr int kHandlePid = kExitEnd;
constexpr int kHandlePidfd = kHandlePid + 1;    // -1: none
constexpr int kHandleFlags = kHandlePidfd + 1;  // bits
constexpr int kHandleExitSignal = kHandleFlags + 1;
constexpr int kHandleClone3 = kHandleExitSignal + 1;  // 1 clone3, 0 clone
constexpr int kHandleHasTls = kHandleClone3 + 1;
constexpr int kHandleTls = kHandleHasTls + 1;  // bits
constexpr int kHandleStdioCount = kHandleTls + 1;
constexpr int kHandleStdio = kHandleStdioCount + 1;  // our end of each slot, -1: none
constexpr int kCount = kHandleStdio + policy::kMaxStdioSlots;

// What kValue and kDetail hold.
enum class ValueOut : int { kNone = 0, kNumber, kBigInt64, kBigUint64, kProbe, kSharing };

inline void StoreBits(double* slot, uint64_t bits) { std::memcpy(slot, &bits, sizeof bits); }

}  // namespace fields
}  // namespace lc
