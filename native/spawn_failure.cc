#include "spawn_failure.h"

#include <string>

#include "errors.h"

namespace lc {
namespace {

// What a failed step worked on, for the error's `path`; empty if nothing.
std::string FailurePath(const SpawnPlan& plan, pid_t pid, const ChildReport& failure) {
  const std::string proc = "/proc/" + std::to_string(pid) + "/";
  const size_t index = static_cast<size_t>(failure.index);
  switch (static_cast<ChildStep>(failure.step)) {
    case ChildStep::kExecve: return plan.file;
    case ChildStep::kChdir: return plan.cwd;
    case ChildStep::kWriteSetgroups: return proc + "setgroups";
    case ChildStep::kWriteUidMap: return proc + "uid_map";
    case ChildStep::kWriteGidMap: return proc + "gid_map";
    case ChildStep::kWriteTimeOffsets: return proc + "timens_offsets";
    case ChildStep::kSethostname: return plan.hostname;
    case ChildStep::kSetdomainname: return plan.domainname;
    case ChildStep::kMountPrivate: return "/";
    case ChildStep::kMount:
    case ChildStep::kRemountReadonly:
      return index < plan.owned_mounts.size() ? plan.owned_mounts[index].target : "";
    case ChildStep::kPivotRoot:
    case ChildStep::kUmountOldRoot: return plan.rootfs;
    case ChildStep::kLoopback: return "lo";
    case ChildStep::kEnterTime: return "/proc/self/ns/time_for_children";
    default: return "";
  }
}

}  // namespace

bool ThrowIfSpawnFailed(Napi::Env env, const SpawnPlan& plan, const CloneOutcome& outcome, int err,
                        const ChildReport& report) {
  if (err != 0) {
    const char* syscall = outcome.via == CloneVia::kClone3 ? "clone3" : "clone";
    ThrowCloneError(env, err, syscall, nullptr, plan.request.flags);
    return true;
  }
  if (report.step == 0) return false;
  ChildStep step = static_cast<ChildStep>(report.step);
  std::string path = FailurePath(plan, outcome.pid, report);
  ThrowCloneError(env, -report.err, ChildStepSyscall(step), path.empty() ? nullptr : path.c_str(),
                  plan.request.flags);
  return true;
}

}  // namespace lc
