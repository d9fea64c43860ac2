// clone(task): raw children that run native tasks instead of a program:
// threads, memory-sharing processes, and processes that share nothing.
import type { NativeTaskPlan } from './addon-types';
import { addon } from './binding';
import { codedError, invalidType, invalidValue, outOfRange } from './errors';
import { CloneFlags, type FlagsLike, presets } from './flags';
import { Child, ExitLatch } from './spawn';
import { refuseUnsafeExitSignal } from './exit-signal';
import type { SignalLike } from './signals';
import { exitSignalOption, validateInteger, validateKeys, validateObject } from './validate';

const TASK_KIND = {
  sumArray: 1,
  write: 2,
  exit: 3,
  sleep: 4,
  spin: 5,
  probe: 6,
  fault: 7,
  probeSharing: 8,
} as const;

/** How a fault task fails: a null write, a stack overflow into the guard page, or SIGABRT. */
export type FaultKind = 'segv' | 'stack-overflow' | 'abort';
const FAULT_KIND: Readonly<Record<FaultKind, number>> = { segv: 1, 'stack-overflow': 2, abort: 3 };

/** A native task for clone(); make one with the `tasks` functions. */
export interface Task {
  /** Which task: 'sumArray', 'write', 'exit', 'sleep', 'spin', 'probe', 'fault'. */
  readonly kind: keyof typeof TASK_KIND;
  /** @internal What native/options.cc reads. */
  readonly plan: Readonly<Omit<NativeTaskPlan, 'flags' | 'exitSignal' | 'stackSize'>>;
}

/** The typed arrays sumArray reads. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

const MAX_MS = 2 ** 31 - 1;

function task(kind: keyof typeof TASK_KIND, fields: Partial<NativeTaskPlan> = {}): Task {
  const plan = { kind: TASK_KIND[kind], arg: 0, fault: 0, fd: 0, start: 0, end: 0, ...fields };
  return Object.freeze({ kind, plan: Object.freeze(plan) });
}

/**
 * Native tasks a raw child can run: freestanding code with raw syscalls
 * only, no libc state and no allocation, safe in a thread of Node.
 */
export const tasks = Object.freeze({
  /**
   * Sums `view[start..end)`. The value is a number, or a bigint for 64-bit
   * integer arrays (which wrap modulo 2^64 as their own arithmetic does).
   * With CLONE_VM the child reads Node's memory; without it, its copy.
   */
  sumArray(view: NumericArray, start = 0, end: number = view?.length): Task {
    if (!ArrayBuffer.isView(view) || view instanceof DataView)
      throw invalidType('view', 'a typed array', view);
    validateInteger('start', start, 0, view.length);
    validateInteger('end', end, start, view.length);
    return task('sumArray', { data: view, start, end });
  },
  /** Writes `data` to `fd` (the child's); the value is the byte count, or -errno. */
  write(fd: number, data: string | Uint8Array): Task {
    validateInteger('fd', fd, 0, 0x7fffffff);
    if (typeof data !== 'string' && !(data instanceof Uint8Array))
      throw invalidType('data', 'a string or Uint8Array', data);
    const payload =
      typeof data === 'string'
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return task('write', { fd, payload });
  },
  /** Ends with `code`. */
  exit(code: number): Task {
    return task('exit', { arg: validateInteger('code', code, 0, 255) });
  },
  /** Sleeps `ms` milliseconds; kill() ends it early. */
  sleep(ms: number): Task {
    return task('sleep', { arg: validateInteger('ms', ms, 0, MAX_MS) });
  },
  /** Burns CPU for `ms` milliseconds; kill() ends it early. */
  spin(ms: number): Task {
    return task('spin', { arg: validateInteger('ms', ms, 0, MAX_MS) });
  },
  /** Reports pid, tid, tgid, ppid, uid, gid, thread pointer and stack pointer as seen inside the child. */
  probe(): Task {
    return task('probe');
  },
  /** Fails on purpose, for fault tests. Refused where it would reach Node: with CLONE_SIGHAND (so every thread). */
  fault(kind: FaultKind): Task {
    if (typeof kind !== 'string' || !Object.hasOwn(FAULT_KIND, kind)) {
      throw invalidValue('kind', "must be 'segv', 'stack-overflow' or 'abort'", kind);
    }
    return task('fault', { fault: FAULT_KIND[kind] });
  },
});

/** @internal explain.ts's probe: the marks a child leaves, see native/tasks.h. */
export function sharingProbeTask(fields: {
  word: Uint8Array;
  umask: number;
  fdSource: number;
  fdTarget: number;
  semid: number;
  signal: number;
}): Task {
  return task('probeSharing', fields);
}

/** Options of clone(): the flags, the stack and TLS the library makes, the exit signal. */
export interface CloneOptions {
  /**
   * The clone flags, in any {@link FlagsLike} form; default presets.process.
   * The library adds what it needs to wait: CLONE_CHILD_CLEARTID for a
   * CLONE_THREAD child (so presets.thread passes exactly glibc's list),
   * CLONE_PIDFD for any other. It owns the TID words the SETTID/CLEARTID
   * flags point at. CLONE_PARENT is refused without CLONE_THREAD (the child
   * would belong to Node's parent), and CLONE_INTO_CGROUP always.
   */
  flags?: FlagsLike;
  /** The child's stack in bytes, rounded up to pages: 16 KiB to 1 GiB, default 256 KiB. A PROT_NONE guard page sits below it. */
  stackSize?: number;
  /** With CLONE_SETTLS, 'new' (the default and only choice): a TCB built for the child, exposed as `child.tls`. */
  tls?: 'new';
  /** The signal the kernel sends Node when a non-thread child ends; default the flags' own (none if they have none). */
  exitSignal?: SignalLike | null;
}

const MIN_STACK = 16 * 1024;
const MAX_STACK = 1024 * 1024 * 1024;
const DEFAULT_STACK = 256 * 1024;

function refuse(message: string): never {
  throw codedError(new RangeError(message), 'ERR_INVALID_CLONE_FLAGS');
}

/**
 * CLONE_PARENT without CLONE_THREAD makes the child Node's sibling: its
 * exit goes to Node's parent, which may never reap it. A thread's parent is
 * its group's parent anyway, so with CLONE_THREAD the flag changes nothing.
 */
export function refuseSiblingProcess(flags: CloneFlags, what: string): void {
  if (flags.has('PARENT') && !flags.has('THREAD')) {
    refuse(
      `${what} cannot use CLONE_PARENT without CLONE_THREAD: the child would be a child of Node’s parent, which may never reap it`,
    );
  }
}

function cloneFlags(work: Task, options: CloneOptions): CloneFlags {
  let flags = CloneFlags.from(options.flags ?? presets.process);
  refuseSiblingProcess(flags, 'clone');
  if (flags.has('INTO_CGROUP'))
    refuse(
      'clone cannot use CLONE_INTO_CGROUP: it needs a cgroup descriptor, which clone does not take',
    );
  if (work.kind === 'fault' && flags.has('SIGHAND')) {
    refuse(
      'a fault task cannot run with CLONE_SIGHAND: the fault would run Node’s signal handlers, and in a CLONE_THREAD child end Node',
    );
  }
  if (options.tls !== undefined && (options.tls !== 'new' || !flags.has('SETTLS'))) {
    throw invalidValue('options.tls', "is 'new', and only with CLONE_SETTLS", options.tls);
  }
  // A thread is joined through the TID word the kernel clears at its exit
  // (a thread pidfd is opened later, only for one that outlives a turn of
  // the loop); anything else is waited for through its pidfd.
  flags = flags.has('THREAD') ? flags.with('CHILD_CLEARTID') : flags.with('PIDFD');
  return flags.withExitSignal(exitSignalOption(options.exitSignal, flags.exitSignalNumber)).check();
}

function stackSize(value: unknown): number {
  if (value === undefined) return DEFAULT_STACK;
  if (typeof value !== 'number') throw invalidType('options.stackSize', 'a number', value);
  if (!Number.isInteger(value) || value < MIN_STACK || value > MAX_STACK) {
    throw outOfRange('options.stackSize', `an integer from ${MIN_STACK} to ${MAX_STACK}`, value);
  }
  const { pageSize } = addon();
  return Math.ceil(value / pageSize) * pageSize;
}

/**
 * Clones a raw child that runs `task` on a stack the library allocates, and
 * returns the same Child handle as spawn; `ExitInfo.value` holds the task's
 * result. Bad options throw a coded TypeError/RangeError before anything is
 * cloned; a refused clone throws a CloneError.
 */
export function clone(work: Task, options: CloneOptions = {}): Child {
  if (
    work === null ||
    typeof work !== 'object' ||
    typeof work.plan !== 'object' ||
    !Object.hasOwn(TASK_KIND, work.kind)
  ) {
    throw invalidType('task', 'a task made by tasks.*', work);
  }
  validateKeys('options', validateObject('options', options), [
    'flags',
    'stackSize',
    'tls',
    'exitSignal',
  ]);
  const flags = cloneFlags(work, options);
  refuseUnsafeExitSignal(flags.exitSignalNumber);
  const binding = addon();
  // The elements sumArray reads live as long as the child may read them:
  // native code holds the latch until the exit, whoever holds the Child.
  const exit = new ExitLatch(work.plan.data);
  const handle = binding.cloneTask(
    {
      ...work.plan,
      flags: flags.bits,
      exitSignal: flags.exitSignalNumber,
      stackSize: stackSize(options.stackSize),
    },
    exit.onExit,
  );
  return new Child(handle, exit);
}
