// The spawn plan: spawn's options validated, the program found, the flags
// (spawn-flags.ts) and the environment (environment.ts) worked out, as the
// NativeSpawnPlan the addon takes. Plan ring: spawn.ts acquires the
// container's resources and clones.
import { accessSync, constants as fsConstants, fstatSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeSpawnPlan, NativeStdioSlot } from './addon-types';
import { makeSystemError } from './clone-error';
import {
  CONTAINER_KEYS,
  type ContainerOptions,
  type ContainerPlan,
  planContainer,
} from './container-plan';
import { childEnvironment } from './environment';
import { codedError, invalidValue } from './errors';
import type { CloneFlags, FlagsLike } from './flags';
import { MAX_STDIO_SLOTS } from './policy';
import type { SignalLike } from './signals';
import { requestedFlags, spawnFlags } from './spawn-flags';
import {
  refuseRevokedProxy,
  validateBoolean,
  validateInteger,
  validateKeys,
  validateObject,
  validateSignal,
  validateString,
  validateArray,
  validateStringArray,
} from './validate';

/** One stdio slot of the child. */
export type StdioSlot = 'pipe' | 'inherit' | 'ignore' | number | null | undefined;

/** Options of spawn(): the clone flags, the program's surroundings, and the container options. */
export interface SpawnOptions extends ContainerOptions {
  /**
   * Clone flags for the child, in any {@link FlagsLike} form, e.g.
   * 'CLONE_NEWPID|CLONE_NEWUTS'. CLONE_PIDFD is always added, and
   * CLONE_VM|CLONE_VFORK unless `fastPath` is false. An exit signal in the
   * set is used unless `exitSignal` is given. Flags that would let the child
   * change Node itself (CLONE_THREAD, CLONE_SIGHAND, CLONE_FILES, CLONE_FS,
   * CLONE_SETTLS) and CLONE_PARENT (Node could not wait for a sibling) are
   * refused with code ERR_INVALID_CLONE_FLAGS.
   */
  flags?: FlagsLike;
  /**
   * Default true: add CLONE_VM|CLONE_VFORK, so the child borrows Node's
   * memory until it execs and the cost of a spawn does not grow with Node's
   * heap (posix_spawn does the same). false passes `flags` as given: with
   * presets.process that is a fork, whose page-table copy grows with the heap.
   */
  fastPath?: boolean;
  /** argv[0] for the program; default `file` as given. */
  argv0?: string;
  /** The child's working directory; a failing chdir rejects with syscall 'chdir'. */
  cwd?: string | URL;
  /**
   * The child's whole environment; default process.env. Entries whose value
   * is undefined are left out. Without it, in the main thread, while
   * process.env is Node's own (not reassigned), the child gets the process's
   * environment as the C library holds it, with no copy made: what
   * process.env shows, and a value that is not UTF-8 passes byte for byte.
   * An array is execve's own envp, "KEY=value" strings passed as they are
   * (a key given twice keeps both; getenv finds the first).
   */
  env?: Record<string, string | undefined> | readonly string[];
  /**
   * Per slot: 'pipe' (a Node stream: slot 0 a pipe Node writes, slots 1
   * and 2 pipes Node reads, and any slot above them a socket pair, a Duplex
   * both sides read and write), 'inherit' (Node's own fd at that slot),
   * 'ignore' (/dev/null for slots 0–2, closed above), or a file descriptor
   * of Node's.
   * A single string applies to slots 0–2. Default 'pipe' for 0–2. The child
   * gets these slots and no other descriptor.
   */
  stdio?: 'pipe' | 'inherit' | 'ignore' | StdioSlot[];
  /**
   * The signal the kernel sends Node if the child ends before it execs;
   * default SIGCHLD, null for none. An execve turns it back to SIGCHLD, so
   * for a program that runs it only tells how a failed setup is announced.
   */
  exitSignal?: SignalLike | null;
  /**
   * A signal the child receives when the thread that spawned it ends
   * (PR_SET_PDEATHSIG). If Node is already gone by then, the child exits.
   * It follows the spawning thread: a worker's children get it when the worker ends.
   */
  pdeathsig?: SignalLike;
  /** Start the child in a new session (setsid), detached from Node's terminal. */
  setsid?: boolean;
  /**
   * Default true (false with `detached`): a child still running when its
   * Node environment ends (the process exits, or the worker that spawned it
   * ends) is killed with SIGKILL and reaped. false leaves it running, as
   * child_process leaves its children; unref() it too, or Node waits for it.
   * A worker's child left running stays a zombie of the process once it
   * ends, as with child_process.
   */
  killAtExit?: boolean;
  /**
   * child_process's `detached`: the child starts a session of its own
   * (setsid: its own process group, no controlling terminal) and outlives
   * Node (`killAtExit` defaults to false). With `unref()`, Node can exit
   * while it runs. `setsid: false` with it is ERR_INCOMPATIBLE_OPTION_PAIR.
   */
  detached?: boolean;
  /**
   * The user id the program runs as (setuid in the child, after setgid),
   * from 0 to 2^32-2. With `uid` or `gid` the supplementary groups are
   * dropped first (setgroups; an EPERM there is ignored, as libuv does). A
   * refusal rejects with a CloneError whose syscall is 'setuid', 'setgid' or
   * 'setgroups' (code EPERM without CAP_SETUID/CAP_SETGID, EINVAL for an id
   * not mapped in the child's user namespace).
   */
  uid?: number;
  /** The group id the program runs as (setgid in the child), from 0 to 2^32-2; see `uid`. */
  gid?: number;
}

/** The options spawn() takes. */
export const SPAWN_KEYS = [
  'flags',
  'fastPath',
  'argv0',
  'cwd',
  'env',
  'stdio',
  'exitSignal',
  'pdeathsig',
  'setsid',
  'killAtExit',
  'detached',
  'uid',
  'gid',
  ...CONTAINER_KEYS,
];
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
/** The longest name of a directory entry, in bytes. */
const NAME_MAX = 255;
/**
 * The most arguments spawn takes: more than execve could ever accept, which
 * caps arguments, environment and their pointers at 6 MiB (so under 700,000
 * strings) whatever the stack limit.
 */
export const MAX_ARGS = 2 ** 20;

/** What spawn hands to the effect ring: the native plan and the container resources still to acquire. */
export interface SpawnPlan {
  /** The addon's plan; `container` is filled in once its resources are acquired. */
  readonly native: NativeSpawnPlan;
  /** The container options, planned; null without any. */
  readonly container: ContainerPlan | null;
  /** The flags passed to the kernel, with the exit signal. */
  readonly flags: CloneFlags;
}

function isExecutableFile(path: string): 'yes' | 'denied' | 'no' {
  try {
    if (!statSync(path).isFile()) return 'no';
    accessSync(path, fsConstants.X_OK);
    return 'yes';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'no';
  }
}

/** execvp's search, done in the parent: the child must not allocate or search. `path` is called for a bare name only. */
function findProgram(
  file: string,
  path: () => string | undefined,
  cwd: string | undefined,
): string {
  if (file.includes('/')) return file;
  // As execvp: a name longer than a directory entry can be is not looked
  // for (a 10 MB name would cost a path join and a stat per PATH entry).
  if (Buffer.byteLength(file) > NAME_MAX)
    throw makeSystemError(-osConstants.errno.ENAMETOOLONG, 'execve', file);
  let denied: string | undefined;
  for (const dir of (path() ?? DEFAULT_PATH).split(delimiter)) {
    // An empty or relative PATH entry means the child's cwd, as in execvp.
    const candidate = join(resolve(cwd ?? '.', dir || '.'), file);
    const found = isExecutableFile(candidate);
    if (found === 'yes') return candidate;
    if (found === 'denied') denied ??= candidate;
  }
  if (denied !== undefined) return denied; // execve reports the EACCES
  throw makeSystemError(-osConstants.errno.ENOENT, 'execve', file);
}

function stdioSlots(stdio: unknown): NativeStdioSlot[] {
  let slots: unknown[];
  if (stdio === undefined) slots = [];
  else if (typeof stdio === 'string') slots = [stdio, stdio, stdio];
  else
    slots = validateArray(
      'options.stdio',
      stdio,
      MAX_STDIO_SLOTS,
      "'pipe', 'inherit', 'ignore' or an array",
    );
  while (slots.length < 3) slots.push(undefined);
  return slots.map((slot, i): NativeStdioSlot => {
    const name = `options.stdio[${i}]`;
    if (slot === undefined || slot === null) return i < 3 ? 'pipe' : 'close';
    if (slot === 'pipe') return 'pipe';
    if (slot === 'inherit') return i;
    if (slot === 'ignore') return i < 3 ? 'ignore' : 'close';
    if (typeof slot === 'number') {
      validateInteger(name, slot, 0, 0x7fffffff);
      try {
        fstatSync(slot);
      } catch {
        throw makeSystemError(-osConstants.errno.EBADF, 'fstat', `${name} = ${slot}`);
      }
      return slot;
    }
    throw invalidValue(name, "must be 'pipe', 'inherit', 'ignore' or a file descriptor", slot);
  });
}

/** spawn's and run's `(file, args?, options?)`: args may be left out. */
export function splitArgs<T>(
  args: readonly string[] | T | undefined,
  options: T | undefined,
): [readonly string[], T | undefined] {
  refuseRevokedProxy('args', args);
  if (args === undefined || Array.isArray(args))
    return [(args as readonly string[] | undefined) ?? [], options];
  return [[], args as T];
}

function cwdOption(cwd: SpawnOptions['cwd']): string | undefined {
  if (cwd === undefined) return undefined;
  return validateString('options.cwd', cwd instanceof URL ? fileURLToPath(cwd) : cwd);
}

/** The largest uid or gid: (uid_t)-1 means "unchanged" to the kernel. */
const MAX_ID = 2 ** 32 - 2;

/** The options that shape the program's process: its session, ids, parent-death signal and end. */
function processOptions(
  options: SpawnOptions,
): Pick<NativeSpawnPlan, 'pdeathsig' | 'setsid' | 'killAtExit' | 'uid' | 'gid'> {
  const { pdeathsig, setsid, killAtExit, detached, uid, gid } = options;
  const isDetached = detached === undefined ? false : validateBoolean('options.detached', detached);
  if (isDetached && setsid === false)
    throw codedError(
      new TypeError(
        'options.setsid cannot be false with options.detached: a detached child starts its own session',
      ),
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    );
  return {
    pdeathsig: pdeathsig === undefined ? 0 : validateSignal('options.pdeathsig', pdeathsig),
    setsid: setsid === undefined ? isDetached : validateBoolean('options.setsid', setsid),
    killAtExit:
      killAtExit === undefined ? !isDetached : validateBoolean('options.killAtExit', killAtExit),
    ...(uid !== undefined && { uid: validateInteger('options.uid', uid, 0, MAX_ID) }),
    ...(gid !== undefined && { gid: validateInteger('options.gid', gid, 0, MAX_ID) }),
  };
}

/**
 * Validates spawn's arguments and plans the child: flags, container,
 * program path, argv, environment and stdio. Throws a coded
 * TypeError/RangeError (or, for a program not found, a CloneError) before
 * anything is made.
 */
export function planSpawn(
  file: string,
  args: readonly string[],
  rawOptions: SpawnOptions,
): SpawnPlan {
  validateString('file', file);
  if (file === '') throw invalidValue('file', 'must not be empty', file);
  const argv = validateStringArray('args', args, MAX_ARGS);
  const options = validateObject('options', rawOptions) as SpawnOptions;
  validateKeys('options', options as Record<string, unknown>, SPAWN_KEYS);
  const requested = requestedFlags(options);
  const container = planContainer(options, requested);
  const flags = spawnFlags(options, requested, container);
  const cwd = cwdOption(options.cwd);
  const argv0 = options.argv0 === undefined ? file : validateString('options.argv0', options.argv0);
  const environment = childEnvironment(options.env);
  const processShape = processOptions(options);
  const stdio = stdioSlots(options.stdio);
  const native: NativeSpawnPlan = {
    file: findProgram(file, environment.path, cwd),
    argv: [argv0, ...argv],
    envp: environment.envp,
    cwd,
    stdio,
    flags: flags.bits,
    exitSignal: flags.exitSignalNumber,
    ...processShape,
  };
  return { native, container, flags };
}
