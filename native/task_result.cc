#include "task_result.h"

#include "handle_fields.h"
#include "policy.h"

namespace lc {
namespace {

using fields::ValueOut;

// What the sharing probe saw from inside the child; see sharing-probe.ts.
void SharingFields(const SharingProbe& p, double* detail) {
  detail[0] = static_cast<double>(p.tgid);
  detail[1] = static_cast<double>(p.ppid);
  detail[2] = static_cast<double>(p.semop_errno);
  for (int i = 0; i < policy::kNamespaceCount; i++) detail[3 + i] = static_cast<double>(p.ns_inode[i]);
}

// tasks.probe(): who the child is, as the kernel sees it.
void ProbeFields(const TaskProbe& p, double* detail) {
  detail[0] = static_cast<double>(p.pid);
  detail[1] = static_cast<double>(p.tid);
  detail[2] = static_cast<double>(p.ppid);
  detail[3] = static_cast<double>(p.uid);
  detail[4] = static_cast<double>(p.gid);
  fields::StoreBits(&detail[5], p.thread_pointer);
  fields::StoreBits(&detail[6], p.stack_pointer);
}

ValueOut ValueFields(const TaskBlock& block, double* f) {
  if (block.kind == TaskKind::kProbeSharing) {
    SharingFields(block.sharing, &f[fields::kDetail]);
    return ValueOut::kSharing;
  }
  if (block.kind == TaskKind::kProbe) {
    ProbeFields(block.probe, &f[fields::kDetail]);
    return ValueOut::kProbe;
  }
  switch (block.value_kind) {
    case ValueKind::kNone: break;
    case ValueKind::kNumber: f[fields::kValue] = block.value.number; return ValueOut::kNumber;
    case ValueKind::kBigInt64:
      fields::StoreBits(&f[fields::kValue], static_cast<uint64_t>(block.value.i64));
      return ValueOut::kBigInt64;
    case ValueKind::kBigUint64:
      fields::StoreBits(&f[fields::kValue], block.value.u64);
      return ValueOut::kBigUint64;
  }
  return ValueOut::kNone;
}

}  // namespace

void TaskResultFields(const TaskBlock& block, double* f) {
  f[fields::kIsTask] = 1;
  f[fields::kCancelled] = block.cancelled != 0 ? 1 : 0;
  const ValueOut kind = block.done ? ValueFields(block, f) : ValueOut::kNone;
  f[fields::kValueKind] = static_cast<double>(kind);
}

}  // namespace lc
