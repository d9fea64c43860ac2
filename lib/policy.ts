// The flag policy, in one table: which clone flags each entry point refuses
// and why, which flags it adds, and which options take spawn off its vfork
// fast path. spawn, clone and probe read it; scripts/generate-native-policy.js
// writes the refusals marked `native` into native/policy.h, so the addon
// checks the same bits at its boundary (what memory safety needs) without a
// second list to drift.
import type { FlagName } from './flags';

/** The entry points that clone. */
export type EntryPoint = 'spawn' | 'clone' | 'probe';

/** One flag an entry point refuses. */
export interface Refusal {
  /** The flag refused. */
  readonly flag: FlagName;
  /** The refusal does not apply when this flag is there too. */
  readonly unless?: FlagName;
  /** The refusal applies only when this flag is there too: the pair is what harms. */
  readonly with?: FlagName;
  /** Why, in a phrase that follows "cannot use CLONE_X: ". */
  readonly why: string;
  /**
   * The addon refuses it too: a child made with it would change Node's own
   * memory, fd table, cwd or signal handlers. JS refuses first; the addon's
   * check guards against a caller that went around JS.
   */
  readonly native: boolean;
}

/** What each entry point refuses, in the order the checks run. */
export const REFUSED_FLAGS: Readonly<Record<EntryPoint, readonly Refusal[]>> = {
  spawn: [
    {
      flag: 'THREAD',
      why: 'an execve in a thread of Node would replace Node itself',
      native: true,
    },
    {
      flag: 'SIGHAND',
      why: "the child resets signal handlers before exec, which would reset Node's",
      native: true,
    },
    { flag: 'FILES', why: "the child's stdio dup2 would rewrite Node's fd table", native: true },
    { flag: 'FS', why: "the child's chdir would move Node's cwd", native: true },
    {
      flag: 'SETTLS',
      why: 'an exec child has no thread-local storage to set',
      native: true,
    },
    {
      flag: 'PARENT',
      why: "the child would be Node's sibling, which Node cannot wait for",
      native: false,
    },
    {
      flag: 'INTO_CGROUP',
      why: 'use the cgroup option, which makes the cgroup and passes its descriptor',
      native: false,
    },
  ],
  clone: [
    {
      flag: 'NEWPID',
      with: 'SIGHAND',
      why: "the child would be the init of a new PID namespace, and when such an init ends the kernel sets SIGCHLD to SIG_IGN in its signal handlers, which are Node's: from then on the kernel would reap every child of Node before anyone could wait for it",
      native: true,
    },
    {
      flag: 'PARENT',
      unless: 'THREAD',
      why: "the child would be a child of Node's parent, which may never reap it",
      native: false,
    },
    {
      flag: 'INTO_CGROUP',
      why: 'it needs a cgroup descriptor, which clone does not take',
      native: false,
    },
  ],
  probe: [
    {
      flag: 'NEWPID',
      with: 'SIGHAND',
      why: "the child would be the init of a new PID namespace, and when such an init ends the kernel sets SIGCHLD to SIG_IGN in its signal handlers, which are Node's: from then on the kernel would reap every child of Node before anyone could wait for it",
      native: true,
    },
    {
      flag: 'PARENT',
      unless: 'THREAD',
      why: "the child would be a child of Node's parent, which may never reap it",
      native: false,
    },
  ],
};

/** The most stdio slots a child can be given; the addon checks the same number. */
export const MAX_STDIO_SLOTS = 1024;

/** Flags every spawn passes: the pidfd Node waits on. */
export const SPAWN_ADDED: readonly FlagName[] = ['PIDFD'];
/** The fast path: borrow Node's memory, suspend the spawning thread until exec. */
export const FAST_PATH_FLAGS: readonly FlagName[] = ['VM', 'VFORK'];

/**
 * Container options under which the parent acts while the child waits (it
 * writes /proc/PID files), or the child setns's, which a process sharing
 * Node's memory may not: each takes spawn off the fast path.
 */
export const OWN_MEMORY_OPTIONS = [
  'uidMap',
  'gidMap',
  'mapRootUser',
  'setgroups',
  'timeOffsets',
  'enter',
] as const;

/**
 * What clone() adds to wait for a task: a thread is joined through the TID
 * word the kernel clears at its exit; any other child through its pidfd.
 */
export const TASK_ADDED: Readonly<{ thread: FlagName; process: FlagName }> = {
  thread: 'CHILD_CLEARTID',
  process: 'PIDFD',
};

/**
 * A fault task may not share Node's signal handlers: the fault would run
 * them, and in a CLONE_THREAD child end Node. The addon checks this too.
 */
export const FAULT_TASK_REFUSED: FlagName = 'SIGHAND';

/** The refusals of `entry` that `has` breaks, first first. */
export function brokenRefusal(
  entry: EntryPoint,
  has: (flag: FlagName) => boolean,
): Refusal | undefined {
  return REFUSED_FLAGS[entry].find(
    (r) =>
      has(r.flag) &&
      (r.with === undefined || has(r.with)) &&
      (r.unless === undefined || !has(r.unless)),
  );
}

/** "clone cannot use CLONE_X with CLONE_Y: why", the message of a refusal. */
export function describeRefusal(entry: EntryPoint, refusal: Refusal): string {
  const together = refusal.with === undefined ? '' : ` with CLONE_${refusal.with}`;
  const unless = refusal.unless === undefined ? '' : ` without CLONE_${refusal.unless}`;
  return `${entry} cannot use CLONE_${refusal.flag}${together}${unless}: ${refusal.why}`;
}
