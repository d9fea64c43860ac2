// The plans spawn-plan.ts builds for the addon -> plain C++ requests, read
// once at the boundary, with the checks the addon itself needs (policy.h).
// Other napi reading lives beside its own job: task_plan.cc's task plans,
// addon.cc's exports, child_handle.cc's methods, probe.cc's helpers.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "container.h"
#include "spawn.h"
#include "sync_io.h"
#include "task_clone.h"
#include "unique_fd.h"

namespace lc {

// Owns every string and descriptor the exec child reads, so that nothing is
// allocated or opened between clone and exec.
struct SpawnPlan {
  std::string file;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string cwd;
  std::vector<FdAction> fds;
  std::vector<UniqueFd> child_ends;   // pipe ends given to the child
  std::vector<UniqueFd> parent_ends;  // per slot: our end of a pipe, or -1
  SpawnRequest request;
  // Whether the env's teardown kills the child if it still runs.
  bool kill_at_exit = true;

  // Container setup, when the plan has any (request.exec.container points here).
  struct OwnedMount {
    std::string source, target, data;
    bool has_data = false;
  };
  ContainerPlan container;
  std::string setgroups, uid_map, gid_map, time_offsets, hostname, domainname, rootfs;
  std::vector<OwnedMount> owned_mounts;
  std::vector<MountOp> mounts;
  std::vector<RlimitOp> rlimits;
  std::vector<sock_filter> seccomp;

  // The child's copies exist once it is cloned; ours must go, or a reader
  // of the child's stdout would never see EOF.
  // ('ignore' slots share the process's /dev/null, which stays open.)
  void CloseChildEnds() { child_ends.clear(); }
};

// Fills `plan` from the object spawn-plan.ts builds. On bad input it throws a
// coded TypeError or RangeError in `env` and returns false, before anything
// is cloned; JS has validated already, so this only guards the boundary.
bool ReadSpawnPlan(Napi::Env env, Napi::Value value, SpawnPlan* plan);

// Fills `limits`, and `streams` with our ends of the plan's piped slots, from
// the controls spawn-sync.ts builds; throws the same way on bad input.
bool ReadSyncControls(Napi::Env env, Napi::Value value, SpawnPlan* plan, std::vector<SyncStream>* streams,
                      SyncLimits* limits);

}  // namespace lc
