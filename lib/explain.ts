// What a flag set shares, from the kernel's rules: explain() and the
// sharing report it shares with probe() (sharing-probe.ts), which measures
// a real child and must agree. Plan ring: nothing here clones.
import { CloneFlags, type FlagName, type FlagsLike } from './flags';
import { NAMESPACE_LIST, type NamespaceInfo, type NamespaceName } from './namespaces';

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
/** One of {@link RESOURCES}. */
export type Resource = (typeof RESOURCES)[number];
/** One of {@link NAMESPACES}: a namespace by the name /proc/PID/ns uses. */
export type Namespace = NamespaceName;
/** The namespaces, by the names /proc/PID/ns uses, in the order reports show them. */
export const NAMESPACES: readonly Namespace[] = Object.freeze(NAMESPACE_LIST.map((ns) => ns.name));

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

function namespaceSentence(
  ns: NamespaceInfo,
  sharing: NamespaceSharing,
  flags: CloneFlags,
): string {
  if (ns.name === 'time' && flags.has('NEWTIME') && flags.has('VM')) {
    return 'the caller’s time namespace: with CLONE_VM the new one is only for the child’s children';
  }
  return sharing === 'new'
    ? `a new ${ns.name} namespace (CLONE_${ns.flag})`
    : `the caller’s ${ns.name} namespace`;
}

/** @internal The report for `flags` from what each resource and namespace was found to be. */
export function sharingReport(
  flags: CloneFlags,
  resources: Record<Resource, Sharing>,
  namespaces: Record<Namespace, NamespaceSharing>,
): SharingReport {
  const sentences = {} as Record<Resource | Namespace, string>;
  for (const r of RESOURCES) sentences[r] = RESOURCE_FACTS[r][resources[r]];
  for (const ns of NAMESPACE_LIST)
    sentences[ns.name] = namespaceSentence(ns, namespaces[ns.name], flags);
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
  for (const ns of NAMESPACE_LIST) namespaces[ns.name] = f.has(ns.flag) ? 'new' : 'shared';
  // With CLONE_VM the child keeps the caller's time namespace (kernel/nsproxy.c).
  if (f.has('NEWTIME') && f.has('VM')) namespaces.time = 'shared';
  return sharingReport(f, resources, namespaces);
}
