// The container plan: spawn's container options validated against the
// flags asked for, and turned into what the native child runs
// (native/container.cc) and what spawn must change. Plan ring: it makes and
// opens nothing; container.ts acquires the pidfd and the cgroup the plan
// names, last, once every option is known good.
import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import type { NativeContainerPlan, NativeMount } from './addon-types';
import { type CgroupOptions, type CgroupPlan, planCgroup } from './cgroup-options';
import { isChild } from './child-brand';
import { makeSystemError } from './clone-error';
import { codedError, invalidType, invalidValue, outOfRange } from './errors';
import type { CloneFlags, FlagName } from './flags';
import { NAMESPACE_LIST, type NamespaceName } from './namespaces';
import { OWN_MEMORY_OPTIONS } from './policy';
import { IO_URING_SYSCALLS, SYSCALL_ALIASES } from './syscall-aliases';
import { SYSCALL_NUMBERS } from './syscall-table';
import {
  validateBoolean,
  validateInteger,
  validateKeys,
  validateObject,
  validateString,
  nearestName,
  validateArray,
  validateStringArray,
} from './validate';

export type { NamespaceName };

/** One line of a uid_map or gid_map: `size` ids from `containerId` inside are `hostId` onward outside. */
export interface IdMapping {
  /** The first id inside the namespace. */
  containerId: number;
  /** The id it is outside, in Node's user namespace. */
  hostId: number;
  /** How many consecutive ids the line maps. */
  size: number;
}

/** A mount in the child's new mount namespace. `target` is a path inside the container (under `rootfs` when there is one) and must exist. */
export type MountSpec =
  | {
      /** Bind `source` of the host at `target`. */
      type: 'bind';
      /** A host path: file or directory. */
      source: string;
      /** Where it appears inside; must exist and be of the same kind as `source`. */
      target: string;
      /** Remount read-only, keeping the source's locked nosuid, nodev and noexec. */
      readonly?: boolean;
    }
  | {
      /** A new tmpfs at `target`. */
      type: 'tmpfs';
      /** A directory inside. */
      target: string;
      /** Its size limit in bytes; default the kernel's (half of RAM). */
      size?: number;
      /** Permission bits of its root, e.g. 0o755; default 0o1777. */
      mode?: number;
      /** Remount read-only once made. */
      readonly?: boolean;
    };

/** A resource limit by the name after `RLIMIT_`, in lower case: 'nofile' is RLIMIT_NOFILE. */
export type RlimitName =
  | 'cpu'
  | 'fsize'
  | 'data'
  | 'stack'
  | 'core'
  | 'rss'
  | 'nproc'
  | 'nofile'
  | 'memlock'
  | 'as'
  | 'locks'
  | 'sigpending'
  | 'msgqueue'
  | 'nice'
  | 'rtprio'
  | 'rttime';

/** A limit: one number for soft and hard alike, or both; Infinity for none. */
export type RlimitValue =
  | number
  | {
      /** The limit enforced now. */
      soft: number;
      /** The ceiling the soft limit may be raised to. */
      hard: number;
    };

/**
 * The options that set up the namespaces a child is cloned into, as
 * bubblewrap and Go's SysProcAttr do; part of {@link SpawnOptions}.
 */
export interface ContainerOptions {
  /** uid_map lines for a new user namespace (needs CLONE_NEWUSER). The parent writes them while the child waits, so the vfork fast path is dropped. */
  uidMap?: IdMapping[];
  /** gid_map lines for a new user namespace (needs CLONE_NEWUSER). */
  gidMap?: IdMapping[];
  /** Shorthand for mapping uid and gid 0 inside to Node's effective ids, as `unshare -r`. */
  mapRootUser?: boolean;
  /** What /proc/PID/setgroups says. Default 'deny' when a gidMap is written without root (the kernel requires it), else left alone. */
  setgroups?: 'allow' | 'deny';
  /** The hostname in a new UTS namespace (needs CLONE_NEWUTS). */
  hostname?: string;
  /** The NIS domain name in a new UTS namespace (needs CLONE_NEWUTS). */
  domainname?: string;
  /** Mount a proc of the new PID namespace at /proc (needs CLONE_NEWPID and CLONE_NEWNS). */
  mountProc?: boolean;
  /** A directory that becomes / through pivot_root, the old root detached (needs CLONE_NEWNS). */
  rootfs?: string;
  /** Bind mounts and tmpfs, in order, after proc (needs CLONE_NEWNS). / is made private first, so nothing propagates to the host. */
  mounts?: MountSpec[];
  /**
   * Seconds (fractions allowed) added to CLOCK_MONOTONIC and CLOCK_BOOTTIME
   * in a new time namespace. The kernel takes offsets only before any
   * process has entered the namespace, so the child unshares it, the parent
   * writes the offsets, and the child enters: CLONE_NEWTIME is then not in
   * the clone's flags even if given, and the fast path is dropped.
   */
  timeOffsets?: {
    /** Seconds added to CLOCK_MONOTONIC. */
    monotonic?: number;
    /** Seconds added to CLOCK_BOOTTIME. */
    boottime?: number;
  };
  /** Start the child in a new cgroup v2 with these limits (CLONE_INTO_CGROUP); it is removed after the reap. */
  cgroup?: CgroupOptions;
  /** PR_SET_NO_NEW_PRIVS: setuid bits and file capabilities grant nothing to the program. */
  noNewPrivs?: boolean;
  /** Resource limits set in the child (prlimit) before exec. */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
  /**
   * A seccomp filter, applied last before exec: each syscall named in `deny`
   * fails with EPERM, as do all syscalls of other ABIs (x32, i386). It implies
   * `noNewPrivs` unless that is false: the kernel takes a filter from an
   * unprivileged process only with no_new_privs, and a setuid program could
   * otherwise shed it.
   */
  seccomp?: {
    /**
     * Syscall names of x86_64, e.g. ['ptrace', 'mount'], at most 1024; a misspelling is refused with
     * the nearest name, and so are `exit` and `exit_group`: a child must always be able to end.
     */
    deny: string[];
    /**
     * Default true: each name also denies the syscalls that do its work
     * under other names (open: openat, openat2 and creat; mkdir: mkdirat;
     * stat: newfstatat and statx; mount: the new mount API; …), as libc
     * and programs call those. false denies the names exactly as given.
     */
    aliases?: boolean;
    /**
     * Default false: the filter also denies io_uring_setup, io_uring_enter
     * and io_uring_register, since a ring does opens, reads, writes and
     * mkdirs without their syscalls and no deny list can see them. true
     * lets the program use io_uring, and so bypass the list.
     */
    allowIoUring?: boolean;
  };
  /**
   * Run the program inside the namespaces of a running process, via setns on
   * its pidfd, like nsenter. Namespaces the target shares with Node are
   * skipped. With 'pid' the program is forked once more inside, and is still
   * Node's child. Cannot be combined with new namespaces or their setup.
   */
  enter?: {
    /** A pid, or a Child of this library (its pidfd is used, so a reused pid cannot be entered by mistake). */
    target:
      | number
      | {
          /** The target's pid. */
          readonly pid: number;
          /** Its pidfd, or null once reaped. */
          readonly pidfd: number | null;
        };
    /** Which of the target's namespaces to enter. */
    namespaces: NamespaceName[];
  };
}

export const CONTAINER_KEYS = [
  'uidMap',
  'gidMap',
  'mapRootUser',
  'setgroups',
  'hostname',
  'domainname',
  'mountProc',
  'rootfs',
  'mounts',
  'timeOffsets',
  'cgroup',
  'noNewPrivs',
  'rlimits',
  'seccomp',
  'enter',
];

const RLIMITS: Readonly<Record<RlimitName, number>> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
};
const RLIM_INFINITY = 2n ** 64n - 1n;
const MAX_ID = 2 ** 32 - 1;
const MOUNT_KIND = { bind: 1, tmpfs: 2, proc: 3 } as const;
/** The most mounts one spawn makes: each is a syscall in the child before exec. */
export const MAX_MOUNTS = 1024;
/** The most names a seccomp deny list holds, aliases added: one BPF filter holds at most 4096 instructions. */
export const MAX_SECCOMP_DENY = 1024;
/** The most names `enter.namespaces` holds: each kind of namespace, a few times over. */
export const MAX_ENTER_NAMESPACES = 64;

/** The `enter` option, validated: whose namespaces, and which. */
export interface EnterPlan {
  /** A pid, or a Child whose pidfd is borrowed. */
  readonly target: number | { readonly pid: number; readonly pidfd: number | null };
  /** The namespaces to enter, as named. */
  readonly namespaces: readonly NamespaceName[];
}

/** What spawn must know of the container options, and what to acquire for them. */
export interface ContainerPlan {
  /** The child must not borrow Node's memory: the parent acts while it waits, or it setns's. */
  readonly needsOwnMemory: boolean;
  /** Flags the clone must not carry (CLONE_NEWTIME when the child unshares it itself). */
  readonly removeFlags: readonly FlagName[];
  /** Flags the clone needs (CLONE_INTO_CGROUP). */
  readonly addFlags: readonly FlagName[];
  /** The native plan, its resources (enterPidfd, enterTypes, cgroupFd) still unset. */
  readonly native: Readonly<NativeContainerPlan>;
  /** The namespaces to enter, once a pidfd is opened for them. */
  readonly enter: EnterPlan | undefined;
  /** The cgroup to make, validated. */
  readonly cgroup: CgroupPlan | undefined;
}

/** The namespace flag of a /proc/PID/ns name, or undefined. */
export function namespaceFlag(name: string): FlagName | undefined {
  return NAMESPACE_LIST.find((ns) => ns.name === name)?.flag;
}

function required(option: string, flags: CloneFlags, ...names: FlagName[]): void {
  const missing = names.filter((name) => !flags.has(name));
  if (missing.length === 0) return;
  const list = missing.map((n) => `CLONE_${n}`).join(' and ');
  throw codedError(
    new TypeError(`options.${option} needs ${list} in options.flags`),
    'ERR_NAMESPACE_REQUIRED',
  );
}

function mapText(name: string, value: unknown): string {
  const lines = validateArray(
    name,
    value,
    340,
    'a non-empty array of { containerId, hostId, size }',
  );
  if (lines.length === 0)
    throw invalidType(name, 'a non-empty array of { containerId, hostId, size }', value);
  return lines
    .map((line, i) => {
      const entry = validateObject(`${name}[${i}]`, line);
      const inside = validateInteger(`${name}[${i}].containerId`, entry.containerId, 0, MAX_ID - 1);
      const outside = validateInteger(`${name}[${i}].hostId`, entry.hostId, 0, MAX_ID - 1);
      const size = validateInteger(`${name}[${i}].size`, entry.size, 1, MAX_ID);
      return `${inside} ${outside} ${size}\n`;
    })
    .join('');
}

function offsetLine(clock: string, seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw invalidType(`options.timeOffsets.${clock}`, 'a finite number of seconds', seconds);
  const whole = Math.floor(seconds);
  const nanos = Math.min(999999999, Math.round((seconds - whole) * 1e9));
  return `${clock} ${whole} ${nanos}\n`;
}

function rlimitBound(name: string, value: unknown): bigint {
  if (value === Infinity) return RLIM_INFINITY;
  return BigInt(validateInteger(name, value, 0, Number.MAX_SAFE_INTEGER));
}

function rlimitOps(value: unknown): Array<{ resource: number; soft: bigint; hard: bigint }> {
  const limits = validateObject('options.rlimits', value);
  return Object.entries(limits).map(([name, limit]) => {
    if (!Object.hasOwn(RLIMITS, name)) {
      const nearest = nearestName(name, Object.keys(RLIMITS));
      const hint = nearest === undefined ? '' : ` (did you mean "${nearest}"?)`;
      throw invalidValue('options.rlimits', `has no limit such as this one${hint}`, name);
    }
    const key = `options.rlimits.${name}`;
    let soft: bigint, hard: bigint;
    if (typeof limit === 'object' && limit !== null) {
      soft = rlimitBound(`${key}.soft`, (limit as { soft: unknown }).soft);
      hard = rlimitBound(`${key}.hard`, (limit as { hard: unknown }).hard);
      if (soft > hard)
        throw outOfRange(`${key}.soft`, `at most the hard limit (${hard})`, Number(soft));
    } else {
      soft = hard = rlimitBound(key, limit);
    }
    return { resource: RLIMITS[name as RlimitName], soft, hard };
  });
}

/**
 * Denied, these would leave a child whose exec failed retrying its exit for
 * good, and Node waiting for it; the native filter lets them through anyway.
 */
const UNDENIABLE_SYSCALLS: readonly string[] = ['exit', 'exit_group'];

/**
 * The syscall numbers the filter denies: the names given, their aliases
 * unless `aliases` is false, and io_uring's unless `allowIoUring` is true;
 * each number once, in the order first named.
 */
function syscallNumbers(value: unknown): number[] {
  const options = validateObject('options.seccomp', value);
  validateKeys('options.seccomp', options, ['deny', 'aliases', 'allowIoUring']);
  const names = validateStringArray('options.seccomp.deny', options.deny, MAX_SECCOMP_DENY);
  const aliases =
    options.aliases === undefined
      ? true
      : validateBoolean('options.seccomp.aliases', options.aliases);
  const allowIoUring =
    options.allowIoUring === undefined
      ? false
      : validateBoolean('options.seccomp.allowIoUring', options.allowIoUring);
  const given = namedSyscalls(names);
  const denied = new Set<string>(given);
  if (aliases) {
    for (const name of given) {
      if (Object.hasOwn(SYSCALL_ALIASES, name))
        for (const alias of SYSCALL_ALIASES[name]) denied.add(alias);
    }
  }
  if (!allowIoUring) for (const name of IO_URING_SYSCALLS) denied.add(name);
  return [...denied].map((name) => SYSCALL_NUMBERS[name]);
}

/** The names of `deny`, each checked to be an x86_64 syscall. */
function namedSyscalls(names: readonly string[]): string[] {
  return names.map((name, i) => {
    if (UNDENIABLE_SYSCALLS.includes(name)) {
      throw invalidValue(
        `options.seccomp.deny[${i}]`,
        'names a syscall a child needs to end, which no filter may deny',
        name,
      );
    }
    const nr = Object.hasOwn(SYSCALL_NUMBERS, name) ? SYSCALL_NUMBERS[name] : undefined;
    if (nr === undefined) {
      const nearest = nearestName(name, Object.keys(SYSCALL_NUMBERS));
      const hint = nearest === undefined ? '' : ` (did you mean "${nearest}"?)`;
      throw invalidValue(`options.seccomp.deny[${i}]`, `is not an x86_64 syscall${hint}`, name);
    }
    return name;
  });
}

/** A path a mount needs, checked before the clone: the child could only say ENOENT. */
function mustExist(path: string): void {
  try {
    statSync(path);
  } catch (error) {
    throw makeSystemError(
      (error as NodeJS.ErrnoException).errno ?? -osConstants.errno.ENOENT,
      'mount',
      path,
    );
  }
}

function rootfsDir(value: unknown): string {
  const rootfs = resolve(validateString('options.rootfs', value));
  let isDirectory: boolean;
  try {
    isDirectory = statSync(rootfs).isDirectory();
  } catch (error) {
    throw makeSystemError(
      (error as NodeJS.ErrnoException).errno ?? -osConstants.errno.ENOENT,
      'pivot_root',
      rootfs,
    );
  }
  if (!isDirectory) throw makeSystemError(-osConstants.errno.ENOTDIR, 'pivot_root', rootfs);
  return rootfs;
}

/** Where a container path is before the pivot: under rootfs, or the host path itself. */
function hostPath(rootfs: string | undefined, target: string): string {
  return rootfs === undefined ? target : join(rootfs, target);
}

function mountOps(value: unknown, rootfs: string | undefined): NativeMount[] {
  const specs = validateArray('options.mounts', value, MAX_MOUNTS, 'an array of mounts');
  return specs.map((spec, i): NativeMount => {
    const name = `options.mounts[${i}]`;
    const entry = validateObject(name, spec);
    const target = validateString(`${name}.target`, entry.target);
    if (!isAbsolute(target))
      throw invalidValue(`${name}.target`, 'must be an absolute path', target);
    const readonly =
      entry.readonly === undefined ? false : validateBoolean(`${name}.readonly`, entry.readonly);
    const where = hostPath(rootfs, target);
    mustExist(where);
    if (entry.type === 'bind') {
      const source = resolve(validateString(`${name}.source`, entry.source));
      mustExist(source);
      return { kind: MOUNT_KIND.bind, source, target: where, readonly };
    }
    if (entry.type === 'tmpfs') {
      const data: string[] = [];
      if (entry.size !== undefined)
        data.push(
          `size=${validateInteger(`${name}.size`, entry.size, 4096, Number.MAX_SAFE_INTEGER)}`,
        );
      if (entry.mode !== undefined)
        data.push(`mode=${validateInteger(`${name}.mode`, entry.mode, 0, 0o7777).toString(8)}`);
      return {
        kind: MOUNT_KIND.tmpfs,
        target: where,
        readonly,
        ...(data.length > 0 && { data: data.join(',') }),
      };
    }
    throw invalidValue(`${name}.type`, "must be 'bind' or 'tmpfs'", entry.type);
  });
}

function validateEnter(value: unknown): EnterPlan {
  const enter = validateObject('options.enter', value);
  const target = enter.target;
  // An object must be a Child the library made: one shaped like it (or a
  // Proxy around one) could name any pidfd, or none, and the child would run
  // in Node's own namespaces.
  if (typeof target === 'number') validateInteger('options.enter.target', target, 1, 2 ** 22);
  else if (!isChild(target)) throw invalidType('options.enter.target', 'a PID or a Child', target);
  const namespaces = validateStringArray(
    'options.enter.namespaces',
    enter.namespaces,
    MAX_ENTER_NAMESPACES,
  );
  if (namespaces.length === 0)
    throw invalidValue('options.enter.namespaces', 'must name at least one namespace', namespaces);
  for (const name of namespaces) {
    if (namespaceFlag(name) === undefined) {
      throw invalidValue(
        'options.enter.namespaces',
        `holds ${JSON.stringify(name)}, not one of ${NAMESPACE_LIST.map((ns) => ns.name).join(', ')}`,
        name,
      );
    }
  }
  return {
    target,
    namespaces: namespaces as NamespaceName[],
  };
}

type Options = ContainerOptions & Record<string, unknown>;

/** uid_map, gid_map and setgroups, from the maps or mapRootUser. */
function planIdMaps(options: Options, flags: CloneFlags, plan: NativeContainerPlan): void {
  const mapRootUser =
    options.mapRootUser === undefined
      ? false
      : validateBoolean('options.mapRootUser', options.mapRootUser);
  if (mapRootUser && (options.uidMap !== undefined || options.gidMap !== undefined)) {
    throw codedError(
      new TypeError('options.mapRootUser cannot be combined with uidMap or gidMap'),
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    );
  }
  const uidMap = mapRootUser
    ? [{ containerId: 0, hostId: process.geteuid!(), size: 1 }]
    : options.uidMap;
  const gidMap = mapRootUser
    ? [{ containerId: 0, hostId: process.getegid!(), size: 1 }]
    : options.gidMap;
  if (uidMap !== undefined) {
    required(mapRootUser ? 'mapRootUser' : 'uidMap', flags, 'NEWUSER');
    plan.uidMap = mapText('options.uidMap', uidMap);
  }
  if (gidMap !== undefined) {
    required(mapRootUser ? 'mapRootUser' : 'gidMap', flags, 'NEWUSER');
    plan.gidMap = mapText('options.gidMap', gidMap);
  }
  if (options.setgroups !== undefined) {
    if (options.setgroups !== 'allow' && options.setgroups !== 'deny')
      throw invalidValue('options.setgroups', "must be 'allow' or 'deny'", options.setgroups);
    required('setgroups', flags, 'NEWUSER');
    plan.setgroups = options.setgroups;
  } else if (plan.gidMap !== undefined && process.geteuid!() !== 0) {
    plan.setgroups = 'deny';
  }
}

/** hostname and domainname. */
function planUts(options: Options, flags: CloneFlags, plan: NativeContainerPlan): void {
  for (const key of ['hostname', 'domainname'] as const) {
    if (options[key] === undefined) continue;
    const name = validateString(`options.${key}`, options[key]);
    if (Buffer.byteLength(name) > 64) throw outOfRange(`options.${key}`, 'at most 64 bytes', name);
    required(key, flags, 'NEWUTS');
    plan[key] = name;
  }
}

/** rootfs, mountProc and mounts; / made private first, lo brought up in a new net namespace. */
function planMounts(options: Options, flags: CloneFlags, plan: NativeContainerPlan): void {
  const rootfs = options.rootfs === undefined ? undefined : rootfsDir(options.rootfs);
  if (rootfs !== undefined) {
    required('rootfs', flags, 'NEWNS');
    plan.rootfs = rootfs;
  }
  const mounts: NativeMount[] = [];
  if (options.mountProc !== undefined && validateBoolean('options.mountProc', options.mountProc)) {
    required('mountProc', flags, 'NEWPID', 'NEWNS');
    const target = hostPath(rootfs, '/proc');
    mustExist(target);
    mounts.push({ kind: MOUNT_KIND.proc, target, readonly: false });
  }
  if (options.mounts !== undefined) {
    required('mounts', flags, 'NEWNS');
    mounts.push(...mountOps(options.mounts, rootfs));
  }
  if (mounts.length > 0) plan.mounts = mounts;
  if (flags.has('NEWNS') && (rootfs !== undefined || mounts.length > 0)) plan.privateRoot = true;
  if (flags.has('NEWNET')) plan.loopbackUp = true;
}

/** timeOffsets: the lines the parent writes to timens_offsets. */
function timeOffsetsText(value: unknown): string {
  const offsets = validateObject('options.timeOffsets', value);
  let text = '';
  for (const [clock, seconds] of Object.entries(offsets)) {
    if (clock !== 'monotonic' && clock !== 'boottime')
      throw invalidValue('options.timeOffsets', 'takes only monotonic and boottime', clock);
    text += offsetLine(clock, seconds);
  }
  if (text === '')
    throw invalidValue('options.timeOffsets', 'must give monotonic or boottime', offsets);
  return text;
}

/** noNewPrivs, rlimits and the seccomp filter (which implies noNewPrivs unless it is false). */
function planRestrictions(options: Options, plan: NativeContainerPlan): void {
  if (options.noNewPrivs !== undefined)
    plan.noNewPrivs = validateBoolean('options.noNewPrivs', options.noNewPrivs);
  if (options.rlimits !== undefined) plan.rlimits = rlimitOps(options.rlimits);
  if (options.seccomp !== undefined) {
    plan.seccompDeny = syscallNumbers(options.seccomp);
    plan.noNewPrivs ??= true;
  }
}

/** Options `enter` goes with: the ones that act on the child itself, not on new namespaces. */
const ENTER_COMPATIBLE = ['enter', 'cgroup', 'noNewPrivs', 'rlimits', 'seccomp'];

/** The `enter` option, refused beside new namespaces or their setup. */
function planEnter(
  options: Options,
  flags: CloneFlags,
  given: readonly string[],
): EnterPlan | undefined {
  if (options.enter === undefined) return undefined;
  const enter = validateEnter(options.enter);
  const conflicting = given.filter((key) => !ENTER_COMPATIBLE.includes(key));
  const newNamespaces = NAMESPACE_LIST.filter((ns) => flags.has(ns.flag));
  if (conflicting.length > 0 || newNamespaces.length > 0) {
    const what = [
      ...conflicting.map((k) => `options.${k}`),
      ...newNamespaces.map((ns) => `CLONE_${ns.flag}`),
    ].join(', ');
    throw codedError(
      new TypeError(
        `options.enter cannot be combined with new namespaces or their setup (${what})`,
      ),
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    );
  }
  return enter;
}

/**
 * Validates the container options against the flags asked for, and plans
 * them: the native plan, the flag edits, and the resources to acquire.
 * Null when no container option is given. Throws a coded error before
 * anything is made.
 */
export function planContainer(
  containerOptions: ContainerOptions,
  flags: CloneFlags,
): ContainerPlan | null {
  const options = containerOptions as Options;
  const given = CONTAINER_KEYS.filter((key) => options[key] !== undefined);
  if (given.length === 0) return null;
  const native: NativeContainerPlan = { enterPidfd: -1, enterTypes: 0, cgroupFd: -1 };
  planIdMaps(options, flags, native);
  planUts(options, flags, native);
  planMounts(options, flags, native);
  if (options.timeOffsets !== undefined) native.timeOffsets = timeOffsetsText(options.timeOffsets);
  planRestrictions(options, native);
  const cgroup = options.cgroup === undefined ? undefined : planCgroup(options.cgroup);
  const enter = planEnter(options, flags, given);
  return {
    // An option set to false asks for nothing.
    needsOwnMemory: OWN_MEMORY_OPTIONS.some(
      (key) => options[key] !== undefined && options[key] !== false,
    ),
    removeFlags: native.timeOffsets === undefined ? [] : ['NEWTIME'],
    addFlags: cgroup === undefined ? [] : ['INTO_CGROUP'],
    native,
    enter,
    cgroup,
  };
}
