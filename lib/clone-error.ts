// CloneError, the system error of a failed clone, child step or wait, and
// the hints that say why where we know it. Native code makes every one
// through makeSystemError.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

import { FLAG_BITS } from './flags';
import { NAMESPACE_LIST } from './namespaces';

/**
 * A system call failed: clone3 itself, a step of the child's setup before
 * exec (`chdir`, `execve`, …), or a wait. Shaped like Node's own system
 * errors: `code` 'EPERM', negative `errno`, the `syscall` that failed, and
 * `path` where one was involved.
 */
export class CloneError extends Error {
  /** The errno name, e.g. 'ENOENT'. */
  readonly code: string;
  /** The negative errno, as in Node's system errors. */
  readonly errno: number;
  /** 'clone3', 'clone', or the child's step that failed: 'execve', 'chdir', … */
  readonly syscall: string;
  /** The program for 'execve', the directory for 'chdir'. */
  declare readonly path?: string;
  /** What we know about why, where we know it. */
  declare readonly hint?: string;

  constructor(
    errno: number,
    syscall: string,
    details: { path?: string; hint?: string; description?: string } = {},
  ) {
    const { path, hint } = details;
    const code = errorName(errno);
    const description =
      getSystemErrorMap().get(errno)?.[1] ?? details.description ?? 'unknown error';
    const where = path === undefined ? syscall : `${syscall} '${path}'`;
    super(`${code}: ${description}, ${where}${hint ? ` (${hint})` : ''}`);
    this.name = 'CloneError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
    if (hint !== undefined) this.hint = hint;
  }
}

// libuv, behind util.getSystemErrorName, lacks some errnos exec can give
// (ENOEXEC among them); the kernel's own list does not.
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [-n, name]));

/** libuv's name where it has one (EAGAIN, not its alias EWOULDBLOCK), else the kernel's. */
function errorName(errno: number): string {
  return getSystemErrorMap().get(errno)?.[0] ?? ERRNO_NAMES.get(errno) ?? `E${-errno}`;
}

/** Every CLONE_NEW* bit, from the one namespace list. */
const NAMESPACE_BITS = NAMESPACE_LIST.reduce((bits, ns) => bits | FLAG_BITS[ns.flag], 0n);

/** Hints for the container steps, by syscall and code. */
const CONTAINER_HINTS: Readonly<Record<string, string>> = {
  'mount ENOENT': 'the mount source or target does not exist',
  'mount EPERM':
    'mounting needs CAP_SYS_ADMIN over the mount namespace (add CLONE_NEWUSER), and proc needs a fully visible /proc (one with overmounts, as in Docker, is refused)',
  'mount EINVAL':
    'the target is not a directory for a directory source, or the mount propagation forbids it',
  'pivot_root ENOTDIR': 'rootfs must be a directory',
  'pivot_root ENOENT': 'rootfs does not exist',
  'pivot_root EINVAL': 'rootfs must be on a private mount: a mount namespace with / made private',
  'sethostname EPERM': 'a hostname needs CAP_SYS_ADMIN over the UTS namespace',
  'setns EPERM':
    "entering needs CAP_SYS_ADMIN over the target's namespaces: enter its user namespace too",
  'setns EINVAL':
    'a namespace cannot be entered from here (a user namespace needs a single-threaded, unshared child)',
  'setns ESRCH': 'the target process has exited',
  'stat EACCES':
    "looking into another user's process, or one that is not dumpable, needs CAP_SYS_PTRACE",
  'unshare EPERM': 'a time namespace needs CAP_SYS_ADMIN: run as root, or add CLONE_NEWUSER',
  'seccomp EACCES': 'a seccomp filter needs noNewPrivs, or CAP_SYS_ADMIN',
  'prlimit64 EPERM': 'raising a hard limit needs CAP_SYS_RESOURCE',
  'ioctl EPERM': 'bringing lo up needs CAP_NET_ADMIN over the network namespace',
};

/** Hints for the parent's writes to /proc/PID, by file and code. */
const PROC_WRITE_HINTS: Readonly<Record<string, string>> = {
  'uid_map EPERM': 'without CAP_SETUID, a process may map only its own uid, as one line',
  'gid_map EPERM':
    'without CAP_SETGID, a process may map only its own gid, as one line, after setgroups "deny"',
  'setgroups EPERM': 'setgroups cannot be "allow" in a user namespace whose parent denies it',
  'timens_offsets EINVAL': 'an offset would take the clock below zero or out of range',
  'timens_offsets EACCES': 'offsets are taken only before a process enters the time namespace',
};

/** The hint for a failure we can explain. `flags` are the clone flags passed. */
function hintFor(
  code: string,
  syscall: string,
  flags: bigint | undefined,
  path?: string,
): string | undefined {
  if (syscall === 'write' && path?.startsWith('/proc/'))
    return PROC_WRITE_HINTS[`${path.slice(path.lastIndexOf('/') + 1)} ${code}`];
  const container = CONTAINER_HINTS[`${syscall} ${code}`];
  if (container !== undefined) return container;
  const cloning = syscall === 'clone3' || syscall === 'clone';
  if (cloning && code === 'EPERM' && flags !== undefined) {
    if (flags & FLAG_BITS.NEWUSER) {
      return 'CLONE_NEWUSER needs unprivileged user namespaces: check user.max_user_namespaces and kernel.unprivileged_userns_clone sysctls, or an AppArmor userns restriction';
    }
    if (flags & NAMESPACE_BITS)
      return 'new namespaces need CAP_SYS_ADMIN: run as root, or add CLONE_NEWUSER';
  }
  if (cloning && code === 'ENOSYS') {
    return 'clone3 is unavailable (a seccomp filter or a kernel before 5.3), and clone cannot express CLONE_NEWTIME, CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP, or a pidfd with CLONE_PARENT_SETTID';
  }
  if (cloning && code === 'EAGAIN')
    return 'too many processes: RLIMIT_NPROC, kernel.threads-max or a pids cgroup limit';
  if (cloning && code === 'EINVAL')
    return 'the kernel refused this flag set; CloneFlags.check() names the rules it knows';
  if (cloning && code === 'ENOSPC') return 'a namespace limit was reached (user.max_*_namespaces)';
  if (syscall === 'execve') {
    if (code === 'ENOENT') return 'no such program';
    if (code === 'EACCES') return 'not executable, or a directory on the path is not searchable';
    if (code === 'ENOEXEC') return 'not a format this kernel can run, and it has no #! line';
    if (code === 'E2BIG') return 'argv and the environment exceed the kernel limit';
  }
  if (syscall === 'chdir' && code === 'ENOENT') return 'cwd does not exist';
  return undefined;
}

/**
 * The factory native code calls for every system error. `flags` are the
 * clone flags passed, for the hint; `description` is the C library's text,
 * for errnos libuv has none for.
 */
export function makeSystemError(
  errno: number,
  syscall: string,
  path?: string,
  flags?: bigint,
  description?: string,
): CloneError {
  const hint = hintFor(errorName(errno), syscall, flags, path);
  return new CloneError(errno, syscall, {
    ...(path !== undefined && { path }),
    ...(hint !== undefined && { hint }),
    ...(description !== undefined && { description }),
  });
}
