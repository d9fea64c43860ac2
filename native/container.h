// Container setup: what an exec child does to the namespaces it was cloned
// into (or entered) before it execs, and the parent's part of it, the
// writes to /proc/<pid>/ that only a process outside may make.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>

namespace lc {

struct ExecPlan;

enum class MountKind : int32_t { kBind = 1, kTmpfs, kProc };

// One mount in the child's mount namespace. Targets already lie under the
// new root when there is one; they are resolved by JS before the clone.
struct MountOp {
  MountKind kind = MountKind::kBind;
  const char* source = nullptr;  // bind: the host path
  const char* target = nullptr;
  const char* data = nullptr;  // tmpfs: mount options, or nullptr
  bool readonly = false;
};

struct RlimitOp {
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// What the parent writes for a child in a new user or time namespace, while
// the child waits on the sync pipe.
struct ParentSetup {
  const char* setgroups = nullptr;  // "deny" or "allow", or nullptr to leave it
  const char* uid_map = nullptr;
  const char* gid_map = nullptr;
  const char* time_offsets = nullptr;  // timens_offsets text
};

// Everything about namespaces the child reads. Like ExecPlan, built and
// allocated before the clone.
struct ContainerPlan {
  // Entering: setns(enter_pidfd, enter_types) first thing. With CLONE_NEWPID
  // among them the program must be forked once more to be inside.
  int enter_pidfd = -1;
  int enter_types = 0;

  // The handshake: the child (after unsharing its time namespace, when
  // asked) reports ready, then blocks on sync_fd until the parent has done
  // `parent`. sync_fd < 0: no handshake.
  int sync_fd = -1;
  bool unshare_time = false;
  ParentSetup parent;

  const char* hostname = nullptr;
  const char* domainname = nullptr;

  bool private_root = false;     // make / recursively private first
  const char* rootfs = nullptr;  // pivot_root here, after the mounts
  const MountOp* mounts = nullptr;
  int mount_count = 0;

  bool loopback_up = false;
  const RlimitOp* rlimits = nullptr;
  int rlimit_count = 0;
  bool no_new_privs = false;
  const sock_filter* seccomp = nullptr;  // a deny-list filter, applied last
  int seccomp_length = 0;

  bool NeedsParent() const {
    return unshare_time || parent.setgroups != nullptr || parent.uid_map != nullptr ||
           parent.gid_map != nullptr || parent.time_offsets != nullptr;
  }
};

// The child's steps, each ending the child with a report in the failure
// page when it fails. Raw syscalls only, on memory prepared before the clone.
// In a new mount namespace, first thing: / recursively private, so no
// mount made inside propagates to the host's (shared on systemd hosts).
void MakeMountsPrivate(const ExecPlan* plan);
void EnterNamespaces(const ExecPlan* plan);
void AwaitParent(const ExecPlan* plan);
void SetUpNamespaces(const ExecPlan* plan);  // hostname, mounts, loopback
void ApplyRlimits(const ExecPlan* plan);
void LockDown(const ExecPlan* plan);  // no_new_privs, then seccomp

// The parent's side of the handshake for child `pid`. Returns 0, or -errno
// with *step set to the ChildStep that failed.
int WriteParentSetup(pid_t pid, const ParentSetup& setup, int32_t* step);

}  // namespace lc
