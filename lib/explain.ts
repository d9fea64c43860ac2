// What a flag set shares, two ways that must agree: explain() from the
// kernel's rules, probe() by measuring a real child.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { constants } from 'node:os';

import type { NativeSharingObservation } from './addon-types';
import { addon } from './binding';
import { clone, refuseFlags } from './clone';
import { codedError } from './errors';
import { CloneFlags, type FlagName, type FlagsLike } from './flags';
import { sharingMarksTask } from './tasks';

/** A resource is 'shared' with the caller, or the child has a 'copied' one of its own. */
export type Sharing = 'shared' | 'copied';
/** A namespace is 'shared' with the caller, or the child is in a 'new' one. */
export type NamespaceSharing = 'shared' | 'new';

/** The per-process resources a clone flag decides to share or copy, in the order reports show them. */
export const RESOURCES = [
  'memory',
  'fsInfo',
  'fdTable',
  'signalHandlers',
  'threadGroup',
  'sysvsem',
  'parent',
] as const;
/** The namespaces, by the names /proc/PID/ns uses, in the order reports show them. */
export const NAMESPACES = ['mnt', 'uts', 'ipc', 'user', 'pid', 'net', 'cgroup', 'time'] as const;
/** One of {@link RESOURCES}. */
export type Resource = (typeof RESOURCES)[number];
/** One of {@link NAMESPACES}. */
export type Namespace = (typeof NAMESPACES)[number];

/** What a flag set shares: from explain() by the kernel's rules, or from probe() by a real child. */
export type SharingReport = {
  /** The flags in strace's syntax. */
  flags: string;
  /** One sentence per resource and namespace. */
  sentences: Record<Resource | Namespace, string>;
  /** The kernel rules the set breaks (explain only; probe refuses such sets). */
  brokenRules: string[];
} & Record<Resource, Sharing> &
  Record<Namespace, NamespaceSharing>;

/** What each resource is, the flag that shares it, and its sentence either way. */
const RESOURCE_FACTS: Record<Resource, { flag: FlagName; shared: string; copied: string }> = {
  memory: {
    flag: 'VM',
    shared: 'writes by either are seen by both: one address space',
    copied: 'the child gets a copy-on-write copy of the address space',
  },
  fsInfo: {
    flag: 'FS',
    shared: 'cwd, root and umask are one: a chdir or umask in either changes both',
    copied: 'cwd, root and umask are copied',
  },
  fdTable: {
    flag: 'FILES',
    shared: 'one fd table: an fd opened or closed in either is so in both',
    copied: 'the child gets a copy of the fd table',
  },
  signalHandlers: {
    flag: 'SIGHAND',
    shared: 'one table of signal dispositions',
    copied: 'the child gets a copy of the dispositions',
  },
  threadGroup: {
    flag: 'THREAD',
    shared: 'same thread group: one PID (tgid), a thread of the caller',
    copied: 'its own thread group: a process with its own PID',
  },
  sysvsem: {
    flag: 'SYSVSEM',
    shared: 'one System V semaphore undo list: no undo at the child’s exit',
    copied: 'its own semaphore undo list, applied at its exit',
  },
  parent: {
    flag: 'PARENT',
    shared: 'the caller’s parent is its parent too',
    copied: 'the caller is its parent',
  },
};

const NAMESPACE_FLAG: Record<Namespace, FlagName> = {
  mnt: 'NEWNS',
  uts: 'NEWUTS',
  ipc: 'NEWIPC',
  user: 'NEWUSER',
  pid: 'NEWPID',
  net: 'NEWNET',
  cgroup: 'NEWCGROUP',
  time: 'NEWTIME',
};

function namespaceSentence(ns: Namespace, sharing: NamespaceSharing, flags: CloneFlags): string {
  if (ns === 'time' && flags.has('NEWTIME') && flags.has('VM')) {
    return 'the caller’s time namespace: with CLONE_VM the new one is only for the child’s children';
  }
  return sharing === 'new'
    ? `a new ${ns} namespace (CLONE_${NAMESPACE_FLAG[ns]})`
    : `the caller’s ${ns} namespace`;
}

function report(
  flags: CloneFlags,
  resources: Record<Resource, Sharing>,
  namespaces: Record<Namespace, NamespaceSharing>,
): SharingReport {
  const sentences = {} as Record<Resource | Namespace, string>;
  for (const r of RESOURCES) sentences[r] = RESOURCE_FACTS[r][resources[r]];
  for (const ns of NAMESPACES) sentences[ns] = namespaceSentence(ns, namespaces[ns], flags);
  return {
    flags: flags.toString(),
    ...resources,
    ...namespaces,
    sentences,
    brokenRules: flags.brokenRules(),
  };
}

/** What `flags` share, from the kernel's rules. */
export function explain(flags: FlagsLike): SharingReport {
  const f = CloneFlags.from(flags);
  const resources = {} as Record<Resource, Sharing>;
  for (const r of RESOURCES) resources[r] = f.has(RESOURCE_FACTS[r].flag) ? 'shared' : 'copied';
  // A thread's parent is its thread group's: the caller's parent.
  if (f.has('THREAD')) resources.parent = 'shared';
  const namespaces = {} as Record<Namespace, NamespaceSharing>;
  for (const ns of NAMESPACES) namespaces[ns] = f.has(NAMESPACE_FLAG[ns]) ? 'new' : 'shared';
  // With CLONE_VM the child keeps the caller's time namespace (kernel/nsproxy.c).
  if (f.has('NEWTIME') && f.has('VM')) namespaces.time = 'shared';
  return report(f, resources, namespaces);
}

/** A signal nobody minds being ignored for the instant of a probe. */
const PROBE_SIGNAL = constants.signals.SIGURG;
const FIRST_PROBE_FD = 600;

let queue: Promise<unknown> = Promise.resolve();

/** The lowest fd number >= `from` that is not open. */
function freeFd(from: number): number {
  for (let fd = from; ; fd++) {
    try {
      fstatSync(fd);
    } catch {
      return fd;
    }
  }
}

function fdOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function nsInode(ns: Namespace): number {
  return statSync(`/proc/thread-self/ns/${ns}`).ino;
}

async function measure(flags: CloneFlags): Promise<SharingReport> {
  const support = addon().probeSupport;
  const word = new BigUint64Array(1); // Node's private memory; the child writes at this address
  const umask = process.umask(0o022);
  process.umask(umask);
  const childUmask = umask ^ 0o070;
  const fdSource = openSync('/dev/null', 'r');
  const fdTarget = freeFd(FIRST_PROBE_FD);
  const dispositionBefore = support.saveDisposition(PROBE_SIGNAL);
  let semid = -1;
  try {
    semid = support.semaphoreCreate();
    const child = clone(
      sharingMarksTask({
        word: new Uint8Array(word.buffer),
        umask: childUmask,
        fdSource,
        fdTarget,
        semid,
        signal: PROBE_SIGNAL,
      }),
      {
        flags,
        stackSize: 64 * 1024,
      },
    );
    const exit = await child.wait();
    const seen = exit.value as unknown as NativeSharingObservation | undefined;
    if (seen === undefined || exit.exitCode !== 0) {
      throw codedError(
        new Error(`the probe child did not finish (${exit.signal ?? `exit ${exit.exitCode}`})`),
        'ERR_PROBE_FAILED',
      );
    }
    const resources: Record<Resource, Sharing> = {
      memory: word[0] === 0x6c696e75782d636cn ? 'shared' : 'copied',
      fsInfo: process.umask(umask) === childUmask ? 'shared' : 'copied',
      fdTable: fdOpen(fdTarget) ? 'shared' : 'copied',
      signalHandlers:
        support.currentDisposition(PROBE_SIGNAL) !== dispositionBefore ? 'shared' : 'copied',
      threadGroup: seen.tgid === process.pid ? 'shared' : 'copied',
      // A shared undo list outlives the child, so its +1 stays.
      sysvsem: support.semaphoreValue(semid) === 1 ? 'shared' : 'copied',
      parent: seen.ppid === process.pid ? 'copied' : 'shared',
    };
    const namespaces = {} as Record<Namespace, NamespaceSharing>;
    NAMESPACES.forEach((ns, i) => {
      namespaces[ns] = seen.nsInodes[i] === nsInode(ns) ? 'shared' : 'new';
    });
    return report(flags, resources, namespaces);
  } finally {
    // Put back everything the child may have changed in Node.
    process.umask(umask);
    if (fdOpen(fdTarget)) closeSync(fdTarget);
    closeSync(fdSource);
    support.restoreDisposition(PROBE_SIGNAL);
    if (semid >= 0) support.semaphoreRemove(semid);
  }
}

/**
 * What `flags` share, measured: a real child cloned with them leaves a mark
 * on each resource (a word in Node's memory, its umask, an fd, a signal
 * disposition, a semaphore with SEM_UNDO) and reports its thread group,
 * parent and namespace inodes; Node then looks at its own side and puts
 * everything back. Probes run one at a time. CLONE_PARENT is refused
 * without CLONE_THREAD: its child would belong to Node's parent.
 */
export function probe(flags: FlagsLike): Promise<SharingReport> {
  const f = CloneFlags.from(flags).check();
  refuseFlags('probe', f);
  const result = queue.then(() => measure(f));
  queue = result.catch(() => undefined);
  return result;
}
