#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_child.h"
#include "raw_syscall.h"
#include "unique_fd.h"

namespace lc {
namespace {

// strlen for the child, which calls nothing of the C library's.
LC_CHILD_CODE long Length(const char* text) {
  long n = 0;
  while (text[n] != '\0') n++;
  return n;
}

LC_CHILD_CODE long Mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                         const char* data) {
  return RawSyscall(SYS_mount, reinterpret_cast<long>(source), reinterpret_cast<long>(target),
                    reinterpret_cast<long>(fstype), static_cast<long>(flags), reinterpret_cast<long>(data));
}

// A read-only bind remount must keep the flags the kernel locked on the
// source mount (nosuid, nodev, noexec, atime): in a user namespace, dropping
// one is EPERM. statfs tells which the mount has.
LC_CHILD_CODE long RemountReadonly(const char* target) {
  struct statfs info;
  long r = RawSyscall(SYS_statfs, reinterpret_cast<long>(target), reinterpret_cast<long>(&info));
  if (r < 0) return r;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (info.f_flags & ST_NOSUID) flags |= MS_NOSUID;
  if (info.f_flags & ST_NODEV) flags |= MS_NODEV;
  if (info.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
  if (info.f_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (info.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (info.f_flags & ST_RELATIME) flags |= MS_RELATIME;
  return Mount(nullptr, target, nullptr, flags, nullptr);
}

LC_CHILD_CODE void RunMount(const ExecPlan* plan, const MountOp& op, int index) {
  long r = 0;
  switch (op.kind) {
    case MountKind::kBind: r = Mount(op.source, op.target, nullptr, MS_BIND | MS_REC, nullptr); break;
    case MountKind::kTmpfs: r = Mount("tmpfs", op.target, "tmpfs", MS_NOSUID | MS_NODEV, op.data); break;
    case MountKind::kProc:
      // Mounted by a process inside the new PID namespace, proc lists that
      // namespace's processes only.
      r = Mount("proc", op.target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
      break;
  }
  if (r < 0) FailChild(plan, ChildStep::kMount, r, index);
  if (op.readonly) {
    r = RemountReadonly(op.target);
    if (r < 0) FailChild(plan, ChildStep::kRemountReadonly, r, index);
  }
}

// pivot_root(".", ".") stacks the old root on top of the new one at "/";
// detaching the top of the stack leaves only the new root (pivot_root(2)).
LC_CHILD_CODE void PivotRoot(const ExecPlan* plan, const char* rootfs) {
  long r = RawSyscall(SYS_chdir, reinterpret_cast<long>(rootfs));
  if (r < 0) FailChild(plan, ChildStep::kPivotRoot, r);
  r = RawSyscall(SYS_pivot_root, reinterpret_cast<long>("."), reinterpret_cast<long>("."));
  if (r < 0) FailChild(plan, ChildStep::kPivotRoot, r);
  r = RawSyscall(SYS_umount2, reinterpret_cast<long>("."), MNT_DETACH);
  if (r < 0) FailChild(plan, ChildStep::kUmountOldRoot, r);
  r = RawSyscall(SYS_chdir, reinterpret_cast<long>("/"));
  if (r < 0) FailChild(plan, ChildStep::kPivotRoot, r);
}

LC_CHILD_CODE void SetUpMounts(const ExecPlan* plan, const ContainerPlan* c) {
  long r;
  // Nothing mounted here may propagate back to the host, and pivot_root
  // refuses a shared parent mount: done already in a new mount namespace,
  // again here for one the child entered.
  if (c->private_root && !plan->new_mount_namespace) MakeMountsPrivate(plan);
  if (c->rootfs != nullptr) {
    // pivot_root needs the new root to be a mount point.
    r = Mount(c->rootfs, c->rootfs, nullptr, MS_BIND | MS_REC, nullptr);
    if (r < 0) FailChild(plan, ChildStep::kPivotRoot, r);
  }
  for (int i = 0; i < c->mount_count; i++) RunMount(plan, c->mounts[i], i);
  if (c->rootfs != nullptr) PivotRoot(plan, c->rootfs);
}

// A new network namespace starts with `lo` down; up, as bwrap and nsjail do.
LC_CHILD_CODE void BringLoopbackUp(const ExecPlan* plan) {
  long fd = RawSyscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) FailChild(plan, ChildStep::kLoopback, fd);
  struct ifreq request;
  char* bytes = reinterpret_cast<char*>(&request);
  for (size_t i = 0; i < sizeof request; i++) bytes[i] = 0;
  request.ifr_name[0] = 'l';
  request.ifr_name[1] = 'o';
  long r = RawSyscall(SYS_ioctl, fd, SIOCGIFFLAGS, reinterpret_cast<long>(&request));
  if (r >= 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    r = RawSyscall(SYS_ioctl, fd, SIOCSIFFLAGS, reinterpret_cast<long>(&request));
  }
  RawSyscall(SYS_close, fd);
  if (r < 0) FailChild(plan, ChildStep::kLoopback, r);
}

int WriteProcFile(pid_t pid, const char* name, const char* text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(pid), name);
  UniqueFd fd(open(path, O_WRONLY | O_CLOEXEC));
  if (fd.Get() < 0) return -errno;
  // These files take one write each; a short write is refused as a whole.
  const size_t length = strlen(text);
  ssize_t n = write(fd.Get(), text, length);
  if (n < 0) return -errno;
  return static_cast<size_t>(n) == length ? 0 : -EIO;
}

}  // namespace

LC_CHILD_CODE void MakeMountsPrivate(const ExecPlan* plan) {
  long r = Mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  if (r < 0) FailChild(plan, ChildStep::kMountPrivate, r);
}

LC_CHILD_CODE void EnterNamespaces(const ExecPlan* plan) {
  const ContainerPlan* c = plan->container;
  if (c->enter_pidfd < 0) return;
  // One setns on a pidfd enters every namespace at once, the user namespace
  // first, so the capabilities it grants cover the rest.
  long r = RawSyscall(SYS_setns, c->enter_pidfd, c->enter_types);
  if (r < 0) FailChild(plan, ChildStep::kSetns, r);
  if (!(c->enter_types & CLONE_NEWPID)) return;
  // Entering a PID namespace only places this process's children in it, so
  // the program is forked once more. CLONE_PARENT makes it Node's child, not
  // ours: this process reports its PID and ends, and Node waits for the
  // program itself, as if it had cloned it.
  r = RawSyscall(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
  if (r < 0) FailChild(plan, ChildStep::kForkIntoPidNamespace, r);
  if (r > 0) {
    ReportToParent(plan, ChildStep::kGrandchild, static_cast<int>(r));
    RawExit(0);
  }
}

LC_CHILD_CODE void AwaitParent(const ExecPlan* plan) {
  const ContainerPlan* c = plan->container;
  if (c->sync_fd < 0) return;
  // The kernel takes time offsets only for a namespace no process has
  // entered yet: this process unshares one (for its children, so not yet
  // entered), the parent writes the offsets, and then this process enters.
  long r;
  if (c->unshare_time) {
    r = RawSyscall(SYS_unshare, CLONE_NEWTIME);
    if (r < 0) FailChild(plan, ChildStep::kUnshareTime, r);
  }
  ReportToParent(plan, ChildStep::kReady, 0);
  char go = 0;
  r = RawSyscall(SYS_read, c->sync_fd, reinterpret_cast<long>(&go), 1);
  // EOF: the parent gave up on us (it kills us too).
  if (r != 1) FailChild(plan, ChildStep::kSyncRead, r < 0 ? r : -EPIPE);
  RawSyscall(SYS_close, c->sync_fd);
  if (c->unshare_time) {
    long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/ns/time_for_children"),
                         O_RDONLY | O_CLOEXEC);
    if (fd < 0) FailChild(plan, ChildStep::kEnterTime, fd);
    r = RawSyscall(SYS_setns, fd, CLONE_NEWTIME);
    RawSyscall(SYS_close, fd);
    if (r < 0) FailChild(plan, ChildStep::kEnterTime, r);
  }
}

LC_CHILD_CODE void SetUpNamespaces(const ExecPlan* plan) {
  const ContainerPlan* c = plan->container;
  long r;
  if (c->hostname != nullptr) {
    r = RawSyscall(SYS_sethostname, reinterpret_cast<long>(c->hostname), Length(c->hostname));
    if (r < 0) FailChild(plan, ChildStep::kSethostname, r);
  }
  if (c->domainname != nullptr) {
    r = RawSyscall(SYS_setdomainname, reinterpret_cast<long>(c->domainname), Length(c->domainname));
    if (r < 0) FailChild(plan, ChildStep::kSetdomainname, r);
  }
  SetUpMounts(plan, c);
  if (c->loopback_up) BringLoopbackUp(plan);
}

LC_CHILD_CODE void ApplyRlimits(const ExecPlan* plan) {
  const ContainerPlan* c = plan->container;
  for (int i = 0; i < c->rlimit_count; i++) {
    const RlimitOp& op = c->rlimits[i];
    uint64_t limit[2] = {op.soft, op.hard};
    long r = RawSyscall(SYS_prlimit64, 0, op.resource, reinterpret_cast<long>(limit), 0);
    if (r < 0) FailChild(plan, ChildStep::kSetrlimit, r, i);
  }
}

LC_CHILD_CODE void LockDown(const ExecPlan* plan) {
  const ContainerPlan* c = plan->container;
  long r;
  if (c->no_new_privs) {
    r = RawSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0) FailChild(plan, ChildStep::kNoNewPrivs, r);
  }
  if (c->seccomp != nullptr) {
    struct sock_fprog program;
    program.len = static_cast<unsigned short>(c->seccomp_length);
    program.filter = const_cast<sock_filter*>(c->seccomp);
    r = RawSyscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&program));
    if (r < 0) FailChild(plan, ChildStep::kSeccomp, r);
  }
}

int WriteParentSetup(pid_t pid, const ParentSetup& setup, int32_t* step) {
  // setgroups must be "deny" before an unprivileged process may write
  // gid_map (user_namespaces(7)); uid_map and gid_map take one write each.
  const struct {
    const char* text;
    const char* file;
    ChildStep step;
  } writes[] = {
      {setup.setgroups, "setgroups", ChildStep::kWriteSetgroups},
      {setup.uid_map, "uid_map", ChildStep::kWriteUidMap},
      {setup.gid_map, "gid_map", ChildStep::kWriteGidMap},
      {setup.time_offsets, "timens_offsets", ChildStep::kWriteTimeOffsets},
  };
  for (const auto& w : writes) {
    if (w.text == nullptr) continue;
    int err = WriteProcFile(pid, w.file, w.text);
    if (err != 0) {
      *step = static_cast<int32_t>(w.step);
      return err;
    }
  }
  return 0;
}

}  // namespace lc
