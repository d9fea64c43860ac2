// clone(task): raw children that run native tasks instead of a program:
// threads, memory-sharing processes, and processes that share nothing.
// Effect ring: the flags are planned from the policy table, then the addon
// clones.
import { addon } from './binding';
import { Child, type ExitInfo, ExitLatch, toExitInfo } from './child';
import { codedError, invalidType, invalidValue, outOfRange } from './errors';
import { refuseUnsafeExitSignal } from './exit-signal';
import { CloneFlags, type FlagsLike, presets } from './flags';
import {
  brokenRefusal,
  describeRefusal,
  type EntryPoint,
  FAULT_TASK_REFUSED,
  TASK_ADDED,
} from './policy';
import type { SignalLike } from './signals';
import { isTask, packTaskPlan, type Task, TASK_PLAN_FIELDS } from './tasks';
import { exitSignalOption, validateKeys, validateObject } from './validate';
import { fieldViews, readExit } from './exit-fields';

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

const CLONE_KEYS = ['flags', 'stackSize', 'tls', 'exitSignal'];

/** Throws ERR_INVALID_CLONE_FLAGS for the first flag the policy table refuses `entry`. */
export function refuseFlags(entry: EntryPoint, flags: CloneFlags): void {
  const refusal = brokenRefusal(entry, (flag) => flags.has(flag));
  if (refusal === undefined) return;
  throw codedError(new RangeError(describeRefusal(entry, refusal)), 'ERR_INVALID_CLONE_FLAGS');
}

function cloneFlags(work: Task, options: CloneOptions): CloneFlags {
  let flags = CloneFlags.from(options.flags ?? presets.process);
  refuseFlags('clone', flags);
  if (work.kind === 'fault' && flags.has(FAULT_TASK_REFUSED)) {
    throw codedError(
      new RangeError(
        `a fault task cannot run with CLONE_${FAULT_TASK_REFUSED}: the fault would run Node's signal handlers, and in a CLONE_THREAD child end Node`,
      ),
      'ERR_INVALID_CLONE_FLAGS',
    );
  }
  if (options.tls !== undefined && (options.tls !== 'new' || !flags.has('SETTLS'))) {
    throw invalidValue('options.tls', "is 'new', and only with CLONE_SETTLS", options.tls);
  }
  // A thread is joined through the TID word the kernel clears at its exit
  // (a thread pidfd is opened later, only for one that outlives a turn of
  // the loop); anything else is waited for through its pidfd.
  flags = flags.with(flags.has('THREAD') ? TASK_ADDED.thread : TASK_ADDED.process);
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

/** Reused by every call: the addon copies the numbers out before it does anything else. */
const packed = new Float64Array(TASK_PLAN_FIELDS.length);

/** Checks `work` and `options`, and packs the plan the addon clones from into `packed`. */
function packPlan(work: Task, options: CloneOptions): Float64Array {
  if (!isTask(work)) throw invalidType('task', 'a task made by tasks.*', work);
  const opts = validateObject('options', options) as CloneOptions;
  validateKeys('options', opts as Record<string, unknown>, CLONE_KEYS);
  const flags = cloneFlags(work, opts);
  refuseUnsafeExitSignal(flags.exitSignalNumber);
  return packTaskPlan(work, flags.bits, flags.exitSignalNumber, stackSize(opts.stackSize), packed);
}

/**
 * Clones a raw child that runs `task` on a stack the library allocates, and
 * returns the same Child handle as spawn; `ExitInfo.value` holds the task's
 * result. Bad options throw a coded TypeError/RangeError before anything is
 * cloned; a refused clone throws a CloneError.
 */
export function clone(work: Task, options: CloneOptions = {}): Child {
  const fields = packPlan(work, options);
  const { data, payload, word } = work.plan;
  // The elements sumArray reads live as long as the child may read them:
  // native code holds the latch until the exit, whoever holds the Child.
  const binding = addon();
  const exit = new ExitLatch(binding.fields, data);
  return new Child(binding.cloneTask(fields, exit.onExit, data, payload, word), exit);
}

/**
 * `clone(task, options).waitSync()` in one call into the addon: clones the
 * child, blocks until it ends (a thread: joined; a process: reaped) and
 * returns the same ExitInfo, without making a Child. For a caller that would
 * block anyway; the event loop waits as long as the task runs, and nothing
 * can kill it meanwhile, so give it tasks that end. Throws as clone() does.
 */
export function cloneSync(work: Task, options: CloneOptions = {}): ExitInfo {
  const fields = packPlan(work, options);
  const { data, payload, word } = work.plan;
  const binding = addon();
  binding.cloneTaskSync(fields, data, payload, word);
  // Nothing can kill the child before it is joined: no kill() to report.
  return toExitInfo(readExit(fieldViews(binding.fields)), 0);
}
