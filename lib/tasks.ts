// The native tasks a raw child can run, as plans clone() hands to the addon.
// Plan ring: making a task validates its arguments and touches nothing.
import type { NativeTaskPlan } from './addon-types';
import { invalidType, invalidValue } from './errors';
import { validateInteger } from './validate';

/** The native task kinds, by the number native/tasks.h gives them. */
export const TASK_KIND = {
  sumArray: 1,
  write: 2,
  exit: 3,
  sleep: 4,
  spin: 5,
  probe: 6,
  fault: 7,
  sharingMarks: 8,
} as const;

/** How a fault task fails: a null write, a stack overflow into the guard page, or SIGABRT. */
export type FaultKind = 'segv' | 'stack-overflow' | 'abort';
const FAULT_KIND: Readonly<Record<FaultKind, number>> = { segv: 1, 'stack-overflow': 2, abort: 3 };

/** A native task for clone(); make one with the `tasks` functions. */
export interface Task {
  /** Which task: 'sumArray', 'write', 'exit', 'sleep', 'spin', 'probe', 'fault' ('sharingMarks' is the sharing probe's own). */
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

/** Every task tasks.* made: a plan clone() can pack as it is. */
const MADE = new WeakSet<object>();

/** @internal Whether `value` is a task made by tasks.* (not a copy or a forgery). */
export function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && MADE.has(value);
}

function task(kind: keyof typeof TASK_KIND, fields: Partial<NativeTaskPlan> = {}): Task {
  // Every key its own, so that packing it never reads Object.prototype.
  const plan = {
    kind: TASK_KIND[kind],
    arg: 0,
    fault: 0,
    fd: 0,
    start: 0,
    end: 0,
    data: undefined,
    payload: undefined,
    word: undefined,
    umask: 0,
    fdSource: 0,
    fdTarget: 0,
    semid: 0,
    signal: 0,
    ...fields,
  };
  const made = Object.freeze({ kind, plan: Object.freeze(plan) });
  MADE.add(made);
  return made;
}

/**
 * @internal The order of a packed task plan's numbers: native/task_plan.h's
 * TaskPlanField (the addon's `taskPlanFields`, which a test compares).
 */
export const TASK_PLAN_FIELDS = Object.freeze([
  'kind',
  'arg',
  'fault',
  'fd',
  'start',
  'end',
  'umask',
  'fdSource',
  'fdTarget',
  'semid',
  'signal',
  'flagsLow',
  'flagsHigh',
  'exitSignal',
  'stackSize',
] as const);

/**
 * @internal Writes the numbers of `task`'s plan and of the request into
 * `into`, in TASK_PLAN_FIELDS's order: the plan crosses into the addon as one
 * typed array instead of a property read each. The flags go as two 32-bit
 * halves, each exact in a double.
 */
export function packTaskPlan(
  task: Task,
  flags: bigint,
  exitSignal: number,
  stackSize: number,
  into: Float64Array = new Float64Array(TASK_PLAN_FIELDS.length),
): Float64Array {
  const { plan } = task;
  into[0] = plan.kind;
  into[1] = plan.arg;
  into[2] = plan.fault;
  into[3] = plan.fd;
  into[4] = plan.start;
  into[5] = plan.end;
  into[6] = plan.umask ?? 0;
  into[7] = plan.fdSource ?? 0;
  into[8] = plan.fdTarget ?? 0;
  into[9] = plan.semid ?? 0;
  into[10] = plan.signal ?? 0;
  into[11] = Number(flags & 0xffffffffn);
  into[12] = Number(flags >> 32n);
  into[13] = exitSignal;
  into[14] = stackSize;
  return into;
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
  sumArray(view: NumericArray, start = 0, end?: number): Task {
    // The view is checked before anything reads it: a Proxy of a typed
    // array is none (ArrayBuffer.isView runs no trap), and its length
    // getter would throw an uncoded TypeError.
    if (!ArrayBuffer.isView(view) || view instanceof DataView)
      throw invalidType('view', 'a typed array', view);
    const { length } = view;
    validateInteger('start', start, 0, length);
    const stop = end === undefined ? length : validateInteger('end', end, start, length);
    return task('sumArray', { data: view, start, end: stop });
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
  /** Reports pid, tid, tgid, ppid, uid, gid, thread pointer and stack pointer as seen inside the child (its ids, not the sharing probe). */
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

/** @internal The sharing probe's task (sharing-probe.ts): the marks the child leaves, see native/tasks.h. */
export function sharingMarksTask(fields: {
  word: Uint8Array;
  umask: number;
  fdSource: number;
  fdTarget: number;
  semid: number;
  signal: number;
}): Task {
  return task('sharingMarks', fields);
}
