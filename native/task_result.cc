#include "task_result.h"

#include "policy.h"

namespace lc {
namespace {

// What the sharing probe saw from inside the child; see sharing-probe.ts.
Napi::Object SharingObject(Napi::Env env, const SharingProbe& p) {
  Napi::Object sharing = Napi::Object::New(env);
  sharing.Set("tgid", static_cast<double>(p.tgid));
  sharing.Set("ppid", static_cast<double>(p.ppid));
  sharing.Set("semopErrno", static_cast<double>(p.semop_errno));
  Napi::Array inodes = Napi::Array::New(env, policy::kNamespaceCount);
  for (int i = 0; i < policy::kNamespaceCount; i++) inodes.Set(i, static_cast<double>(p.ns_inode[i]));
  sharing.Set("nsInodes", inodes);
  return sharing;
}

// tasks.probe(): who the child is, as the kernel sees it.
Napi::Object ProbeObject(Napi::Env env, const TaskProbe& p) {
  Napi::Object probe = Napi::Object::New(env);
  probe.Set("pid", static_cast<double>(p.pid));
  probe.Set("tid", static_cast<double>(p.tid));
  probe.Set("tgid", static_cast<double>(p.pid));
  probe.Set("ppid", static_cast<double>(p.ppid));
  probe.Set("uid", static_cast<double>(p.uid));
  probe.Set("gid", static_cast<double>(p.gid));
  probe.Set("threadPointer", Napi::BigInt::New(env, p.thread_pointer));
  probe.Set("stackPointer", Napi::BigInt::New(env, p.stack_pointer));
  return probe;
}

}  // namespace

void TaskResultInto(Napi::Env env, const TaskBlock& block, Napi::Object out) {
  out.Set("cancelled", Napi::Boolean::New(env, block.cancelled != 0));
  if (!block.done) return;
  switch (block.value_kind) {
    case ValueKind::kNone: break;
    case ValueKind::kNumber: out.Set("value", Napi::Number::New(env, block.value.number)); break;
    case ValueKind::kBigInt64: out.Set("value", Napi::BigInt::New(env, block.value.i64)); break;
    case ValueKind::kBigUint64: out.Set("value", Napi::BigInt::New(env, block.value.u64)); break;
  }
  if (block.kind == TaskKind::kProbeSharing) out.Set("value", SharingObject(env, block.sharing));
  if (block.kind == TaskKind::kProbe) out.Set("value", ProbeObject(env, block.probe));
}

}  // namespace lc
