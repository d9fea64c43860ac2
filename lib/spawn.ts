// spawn() and run(): programs started through clone3, and the Child handle.
import { accessSync, constants as fsConstants, fstatSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import type {
  NativeExit,
  NativeSpawnPlan,
  NativeStdioSlot,
  Rusage,
  TaskProbe,
} from './addon-types';
import { addon, type NativeChildHandle } from './binding';
import { makeSystemError } from './clone-error';
import { acquireContainer } from './container';
import {
  CONTAINER_KEYS,
  type ContainerOptions,
  type ContainerPlan,
  planContainer,
} from './container-plan';
import { abortError, codedError, invalidType, invalidValue, outOfRange } from './errors';
import { refuseUnsafeExitSignal } from './exit-signal';
import { CloneFlags, type FlagName, type FlagsLike } from './flags';
import { type SignalLike, signalName } from './signals';
import {
  exitSignalOption,
  validateAbortSignal,
  validateBoolean,
  validateInteger,
  validateKeys,
  validateObject,
  validateSignal,
  validateString,
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
  /** The child's whole environment; default process.env. Entries whose value is undefined are left out. */
  env?: Record<string, string | undefined>;
  /**
   * Per slot: 'pipe' (a pipe to a Node stream: slot 0 is written by Node,
   * the others read), 'inherit' (Node's own fd at that slot), 'ignore'
   * (/dev/null for slots 0–2, closed above), or a file descriptor of Node's.
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
}

/** Options of run(): spawn's, and how to feed, collect and limit the child. */
export interface RunOptions extends SpawnOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** How stdout and stderr come back; 'buffer' for Buffers. Default 'utf8'. */
  encoding?: BufferEncoding | 'buffer';
  /** Largest stdout or stderr collected, in bytes; past it the child is killed and run rejects with ERR_CHILD_PROCESS_STDIO_MAXBUFFER. Default 1 MiB. */
  maxBuffer?: number;
  /** Milliseconds before the child is sent `killSignal`; the result then has `timedOut: true`. 0 (default): no limit. */
  timeout?: number;
  /** The signal for `timeout`, `maxBuffer` and an abort. Default 'SIGTERM'. */
  killSignal?: SignalLike;
  /** Aborting kills the child with `killSignal` and rejects with an AbortError. */
  signal?: AbortSignal;
}

export type { Rusage, TaskProbe };

/** How a child ended: what wait() and waitSync() resolve with. */
export interface ExitInfo {
  /** The child's pid (for a thread, its TID). */
  pid: number;
  /** The exit status, or null when a signal ended the child. */
  exitCode: number | null;
  /** The signal that ended the child, e.g. 'SIGKILL', or null. */
  signal: string | null;
  /** Whether the signal left a core dump. */
  coreDumped: boolean;
  /**
   * From waitid. A CLONE_VM child's maxRSS includes Node's own RSS: the
   * kernel counts the borrowed address space's high-water mark at exec.
   */
  rusage: Rusage;
  /** From the clone to the reap (or, for a thread, the join). */
  elapsedMs: number;
  /** clone() tasks: the task's result (sumArray's sum, write's byte count, probe's report). */
  value?: number | bigint | TaskProbe;
}

/** What run() resolves with: the exit, the output and the flags. */
export interface RunResult extends ExitInfo {
  /** Everything the child wrote to stdout: a string in `encoding`, or a Buffer. Empty unless stdout was 'pipe'. */
  stdout: string | Buffer;
  /** Everything the child wrote to stderr, like `stdout`. */
  stderr: string | Buffer;
  /** True when `timeout` fired and the child was sent `killSignal`. */
  timedOut: boolean;
  /** The flags passed to the kernel, in strace's syntax. */
  flags: string;
}

/** Options of Child.wait(). */
export interface WaitOptions {
  /** Stop waiting (the child runs on) and reject with an AbortError. */
  signal?: AbortSignal;
}

const SPAWN_KEYS = [
  'flags',
  'fastPath',
  'argv0',
  'cwd',
  'env',
  'stdio',
  'exitSignal',
  'pdeathsig',
  'setsid',
  ...CONTAINER_KEYS,
];
const RUN_KEYS = [
  ...SPAWN_KEYS,
  'input',
  'encoding',
  'maxBuffer',
  'timeout',
  'killSignal',
  'signal',
];
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const MAX_STDIO_SLOTS = 1024;

/** Flags spawn refuses, and why. */
const SPAWN_REFUSED: ReadonlyArray<[FlagName, string]> = [
  ['THREAD', 'an execve in a thread of Node would replace Node itself'],
  ['SIGHAND', "the child resets signal handlers before exec, which would reset Node's"],
  ['FILES', "the child's stdio dup2 would rewrite Node's fd table"],
  ['FS', "the child's chdir would move Node's cwd"],
  ['SETTLS', 'an exec child has no thread-local storage to set'],
  ['PARENT', "the child would be Node's sibling, which Node cannot wait for"],
  ['INTO_CGROUP', 'use the cgroup option, which makes the cgroup and passes its descriptor'],
];

function refuseFlags(message: string): never {
  throw codedError(new RangeError(message), 'ERR_INVALID_CLONE_FLAGS');
}

/** The flags the caller asked for, with those spawn refuses refused. */
function requestedFlags(options: SpawnOptions): CloneFlags {
  const flags = options.flags === undefined ? new CloneFlags(0n) : CloneFlags.from(options.flags);
  for (const [name, why] of SPAWN_REFUSED) {
    if (flags.has(name)) refuseFlags(`spawn cannot use CLONE_${name}: ${why}`);
  }
  return flags;
}

/** The flags passed to the kernel for an exec child. */
function spawnFlags(
  options: SpawnOptions,
  requested: CloneFlags,
  container: ContainerPlan | null,
): CloneFlags {
  let flags = requested;
  const fastPath =
    options.fastPath === undefined
      ? container?.needsOwnMemory !== true
      : validateBoolean('options.fastPath', options.fastPath);
  // The fast path: the child borrows Node's address space (CLONE_VM) and this
  // thread sleeps (CLONE_VFORK) until the child execs, so no page table is
  // copied whatever Node's RSS. It is dropped where Node must act while the
  // child waits (id maps, time offsets), or where the child enters
  // namespaces, which a process sharing Node's memory may not.
  if (fastPath && container?.needsOwnMemory) {
    throw codedError(
      new TypeError(
        "options.fastPath cannot be true with uidMap, gidMap, mapRootUser, setgroups, timeOffsets or enter: the child must not share Node's memory",
      ),
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    );
  }
  if (fastPath) flags = flags.with('VM', 'VFORK');
  if (container !== null)
    flags = flags.without(...container.removeFlags).with(...container.addFlags);
  flags = flags.with('PIDFD');
  const exitSignal = exitSignalOption(
    options.exitSignal,
    flags.exitSignalNumber || osConstants.signals.SIGCHLD,
  );
  return flags.withExitSignal(exitSignal).check();
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

/** execvp's search, done in the parent: the child must not allocate or search. */
function findProgram(
  file: string,
  env: Record<string, string | undefined>,
  cwd: string | undefined,
): string {
  if (file.includes('/')) return file;
  let denied: string | undefined;
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    // An empty or relative PATH entry means the child's cwd, as in execvp.
    const candidate = join(resolve(cwd ?? '.', dir || '.'), file);
    const found = isExecutableFile(candidate);
    if (found === 'yes') return candidate;
    if (found === 'denied') denied ??= candidate;
  }
  if (denied !== undefined) return denied; // execve reports the EACCES
  throw makeSystemError(-osConstants.errno.ENOENT, 'execve', file);
}

function environment(env: unknown): { vars: Record<string, string | undefined>; envp: string[] } {
  const vars = env === undefined ? process.env : validateObject('options.env', env);
  const envp: string[] = [];
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    const text = validateString(`options.env[${JSON.stringify(key)}]`, value);
    if (key.includes('=') || key.includes('\0'))
      throw invalidValue('options.env', 'keys must not contain "=" or NUL', key);
    envp.push(`${key}=${text}`);
  }
  return { vars: vars as Record<string, string | undefined>, envp };
}

function stdioSlots(stdio: unknown): NativeStdioSlot[] {
  let slots: unknown[];
  if (stdio === undefined) slots = [];
  else if (typeof stdio === 'string') slots = [stdio, stdio, stdio];
  else if (Array.isArray(stdio)) slots = [...(stdio as unknown[])];
  else throw invalidType('options.stdio', "'pipe', 'inherit', 'ignore' or an array", stdio);
  if (slots.length > MAX_STDIO_SLOTS)
    throw outOfRange('options.stdio.length', `at most ${MAX_STDIO_SLOTS}`, slots.length);
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

/** `killedWith`: the signal kill() asked for, reported for a task it cancelled. */
function toExitInfo(exit: NativeExit, killedWith: number): ExitInfo {
  const cancelled = exit.cancelled === true;
  const info: ExitInfo = {
    pid: exit.pid,
    exitCode: cancelled ? null : exit.exitCode,
    signal: cancelled ? signalName(killedWith) : exit.signal === 0 ? null : signalName(exit.signal),
    coreDumped: exit.coreDumped,
    rusage: exit.rusage,
    elapsedMs: exit.elapsedMs,
  };
  // The internal probeSharing task's value is read by explain.ts alone.
  if (exit.value !== undefined) info.value = exit.value as ExitInfo['value'];
  return info;
}

/** The one exit of a child, settled by the native reap. */
export class ExitLatch {
  info: ExitInfo | null = null;
  /** The signal the first kill() asked for. */
  killedWith = 0;
  readonly promise: Promise<ExitInfo>;
  private settle!: (info: ExitInfo) => void;
  /** @internal Memory the child reads, referenced until it exits so it cannot be collected. */
  retained: unknown;

  /** Runs after the reap, before the promise settles: removes a child's cgroup. */
  private readonly cleanup: (() => Promise<void> | undefined) | undefined;

  constructor(retained?: unknown, cleanup?: () => Promise<void> | undefined) {
    this.retained = retained;
    this.cleanup = cleanup;
    this.promise = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  readonly onExit = (exit: NativeExit): void => {
    this.retained = undefined;
    const info = (this.info = toExitInfo(exit, this.killedWith));
    const cleaning = this.cleanup?.();
    // A cleanup that fails (a cgroup someone else holds) must not lose the exit.
    if (cleaning === undefined) this.settle(info);
    else
      void cleaning.then(
        () => this.settle(info),
        () => this.settle(info),
      );
  };
}

/**
 * A child made by clone3: a program from spawn(), or a task from clone(). It
 * is reaped (a thread: joined) as soon as it exits, whether or not anyone
 * waits; `wait()` and `kill()` are idempotent and the promise is cached.
 */
export class Child implements AsyncDisposable {
  /** The child's PID, in Node's PID namespace. */
  readonly pid: number;
  /** The flags passed to the kernel: what you asked for, plus what spawn adds. */
  readonly flags: CloneFlags;
  /** 'clone3', or 'clone' where clone3 is refused (seccomp) and clone could express the flags. */
  readonly syscall: 'clone3' | 'clone';
  /** Node's end of each slot's pipe, else null. */
  readonly stdio: ReadonlyArray<Readable | Writable | null>;
  /** stdio[0] when it is 'pipe': write to the child's stdin. */
  readonly stdin: Writable | null;
  /** stdio[1] when it is 'pipe'. */
  readonly stdout: Readable | null;
  /** stdio[2] when it is 'pipe'. */
  readonly stderr: Readable | null;
  /** With CLONE_SETTLS: the address of the TCB the library built for the child; else null. */
  readonly tls: bigint | null;
  /** With the `cgroup` option: the directory of the cgroup made for the child, removed after the reap; else null. */
  readonly cgroup: string | null;
  readonly #handle: NativeChildHandle;
  readonly #exit: ExitLatch;

  /** @internal Made by spawn(). */
  constructor(handle: NativeChildHandle, exit: ExitLatch, cgroup: string | null = null) {
    this.#handle = handle;
    this.cgroup = cgroup;
    this.#exit = exit;
    this.pid = handle.pid;
    this.flags = new CloneFlags(handle.flags, handle.exitSignal);
    this.syscall = handle.syscall;
    this.tls = handle.tls ?? null;
    this.stdio = (handle.stdio ?? []).map((fd, slot) => {
      if (fd === null) return null;
      return slot === 0
        ? new Socket({ fd, readable: false, writable: true })
        : new Socket({ fd, readable: true, writable: false });
    });
    this.stdin = (this.stdio[0] as Writable | null) ?? null;
    this.stdout = (this.stdio[1] as Readable | null) ?? null;
    this.stderr = (this.stdio[2] as Readable | null) ?? null;
  }

  /** The child's pidfd while it is unreaped; null after, and for a thread (joined through its TID word). */
  get pidfd(): number | null {
    return this.#exit.info === null ? this.#handle.pidfd : null;
  }

  /** The exit, once reaped; else null. */
  get exitInfo(): ExitInfo | null {
    return this.#exit.info;
  }

  /** Resolves when the child has exited and been reaped. Never blocks the event loop. */
  wait(options: WaitOptions = {}): Promise<ExitInfo> {
    validateObject('options', options);
    if (options.signal === undefined || this.#exit.info !== null) return this.#exit.promise;
    const signal = validateAbortSignal('options.signal', options.signal);
    if (signal.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#exit.promise.then((info) => {
        signal.removeEventListener('abort', onAbort);
        resolve(info);
      });
    });
  }

  /** Blocks until the child exits, then reaps it. */
  waitSync(): ExitInfo {
    return this.#exit.info ?? (this.#handle.waitSync(), this.#exit.info!);
  }

  /**
   * Sends a signal through the pidfd (default SIGTERM); false once the child
   * is gone. A task sharing Node's signal handlers (every CLONE_THREAD task)
   * is cancelled instead: tgkill sends it SIGRTMAX, which it consumes at its
   * next look, and its ExitInfo reports `signal` as asked here.
   */
  kill(signal: SignalLike = 'SIGTERM'): boolean {
    const n = validateSignal('signal', signal);
    if (this.#exit.killedWith === 0) this.#exit.killedWith = n;
    return this.#handle.kill(n);
  }

  /** Keeps Node running until the child exits (the default). */
  ref(): this {
    this.#handle.setRef(true);
    return this;
  }

  /** Lets Node exit while the child runs; the child is then killed and reaped at exit. */
  unref(): this {
    this.#handle.setRef(false);
    return this;
  }

  /** Kills (SIGKILL) and reaps the child if it still runs, and closes our stdio ends. Idempotent. */
  close(): void {
    if (this.#exit.killedWith === 0) this.#exit.killedWith = osConstants.signals.SIGKILL;
    this.#handle.close();
    for (const stream of this.stdio) stream?.destroy();
  }

  /** `await using child = spawn(…)`: kills and reaps on scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill('SIGKILL');
    await this.wait();
    for (const stream of this.stdio) stream?.destroy();
  }
}

function splitArgs<T>(
  args: readonly string[] | T | undefined,
  options: T | undefined,
): [readonly string[], T | undefined] {
  if (args === undefined || Array.isArray(args))
    return [(args as readonly string[] | undefined) ?? [], options];
  return [[], args as T];
}

/**
 * Starts `file` with `args` in a child made by clone3. Throws CloneError if
 * the clone or a step before exec fails (the child is then already reaped),
 * and a coded TypeError/RangeError for bad options, before anything is cloned.
 */
export function spawn(
  file: string,
  args?: readonly string[] | SpawnOptions,
  options?: SpawnOptions,
): Child {
  const [argList, rawOptions] = splitArgs(args, options);
  return spawnChecked(file, argList, rawOptions ?? {}, SPAWN_KEYS);
}

function spawnChecked(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
  keys: readonly string[],
): Child {
  validateString('file', file);
  if (file === '') throw invalidValue('file', 'must not be empty', file);
  const argv = validateStringArray('args', args);
  validateKeys('options', validateObject('options', options), keys);
  const requested = requestedFlags(options);
  const container = planContainer(options, requested);
  const flags = spawnFlags(options, requested, container);
  const cwd =
    options.cwd === undefined
      ? undefined
      : validateString(
          'options.cwd',
          options.cwd instanceof URL ? fileURLToPath(options.cwd) : options.cwd,
        );
  const argv0 = options.argv0 === undefined ? file : validateString('options.argv0', options.argv0);
  const { vars, envp } = environment(options.env);
  const pdeathsig =
    options.pdeathsig === undefined ? 0 : validateSignal('options.pdeathsig', options.pdeathsig);
  const setsid =
    options.setsid === undefined ? false : validateBoolean('options.setsid', options.setsid);
  const stdio = stdioSlots(options.stdio);
  const path = findProgram(file, vars, cwd);

  const plan: NativeSpawnPlan = {
    file: path,
    argv: [argv0, ...argv],
    envp,
    cwd,
    stdio,
    flags: flags.bits,
    exitSignal: flags.exitSignalNumber,
    pdeathsig,
    setsid,
  };
  refuseUnsafeExitSignal(flags.exitSignalNumber);
  const binding = addon();
  if (container === null) {
    const exit = new ExitLatch();
    return new Child(binding.spawn(plan, exit.onExit), exit);
  }
  // Resources last, once every option is known good: the cgroup and the
  // pidfd to enter. The fds close as soon as the child is cloned; the cgroup
  // goes after the reap, before wait() resolves.
  const resources = acquireContainer(container);
  plan.container = resources.native;
  const exit = new ExitLatch(undefined, () => resources.cgroup?.remove());
  try {
    return new Child(binding.spawn(plan, exit.onExit), exit, resources.cgroup?.dir ?? null);
  } catch (error) {
    resources.cgroup?.removeSync();
    throw error;
  } finally {
    resources.releaseFds();
  }
}

function collect(
  stream: Readable | null,
  maxBuffer: number,
  onOverflow: () => void,
): { done: Promise<void>; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  if (stream === null) return { done: Promise.resolve(), chunks };
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBuffer) onOverflow();
    else chunks.push(chunk);
  });
  const done = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return { done, chunks };
}

/**
 * Spawns `file`, feeds `input`, collects stdout and stderr, and resolves when
 * the child is reaped and its output closed. A non-zero exit resolves too;
 * run rejects only when the library could not do its part.
 */
export async function run(
  file: string,
  args?: readonly string[] | RunOptions,
  options?: RunOptions,
): Promise<RunResult> {
  const [argList, rawOptions] = splitArgs(args, options);
  const opts = validateObject('options', rawOptions ?? {}) as RunOptions;
  validateKeys('options', opts as Record<string, unknown>, RUN_KEYS);
  const {
    input,
    encoding = 'utf8',
    maxBuffer = 1024 * 1024,
    timeout = 0,
    killSignal = 'SIGTERM',
    signal,
    ...spawnOptions
  } = opts;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw invalidType('options.input', 'a string or Uint8Array', input);
  }
  if (encoding !== 'buffer' && !Buffer.isEncoding(encoding))
    throw invalidValue('options.encoding', 'must be a Buffer encoding or "buffer"', encoding);
  validateInteger('options.maxBuffer', maxBuffer, 0, Number.MAX_SAFE_INTEGER);
  validateInteger('options.timeout', timeout, 0, 2 ** 31 - 1);
  const killNumber = validateSignal('options.killSignal', killSignal);
  if (signal !== undefined) validateAbortSignal('options.signal', signal);
  if (signal?.aborted) throw abortError(signal.reason);

  const child = spawnChecked(file, argList, spawnOptions, SPAWN_KEYS);
  let failure: Error | undefined;
  let timedOut = false;
  let stopped = false;
  const stop = (error?: Error) => {
    failure ??= error;
    stopped = true;
    child.kill(killNumber);
  };
  const overflow = () =>
    stop(
      codedError(
        new RangeError(`stdout or stderr exceeded maxBuffer (${maxBuffer} bytes)`),
        'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
      ),
    );
  const out = collect(child.stdout, maxBuffer, overflow);
  const err = collect(child.stderr, maxBuffer, overflow);
  if (child.stdin !== null) {
    child.stdin.on('error', () => {}); // EPIPE when the child does not read its input
    child.stdin.end(input);
  }
  const timer = timeout > 0 ? setTimeout(() => ((timedOut = true), stop()), timeout) : undefined;
  const onAbort = () => stop(abortError(signal?.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  // Once a child we stopped is reaped, a grandchild may still hold its
  // stdout open; what it would write is not wanted.
  const reaped = child.wait().then((exit) => {
    if (stopped) for (const stream of [child.stdout, child.stderr]) stream?.destroy();
    return exit;
  });
  try {
    const [exit] = await Promise.all([reaped, out.done, err.done]);
    if (failure !== undefined) throw failure;
    const decode = (chunks: Buffer[]) =>
      encoding === 'buffer' ? Buffer.concat(chunks) : Buffer.concat(chunks).toString(encoding);
    return {
      ...exit,
      stdout: decode(out.chunks),
      stderr: decode(err.chunks),
      timedOut,
      flags: child.flags.toString(),
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
