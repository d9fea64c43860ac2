// The effect ring's door to native code: loads the addon lazily, on the first
// call that needs it, and describes what it exports.
import { join } from 'node:path';

import type { NativeSpawnPlan, NativeSyncControls, NativeSyncResult } from './addon-types';
import { makeSystemError } from './clone-error';

/**
 * A child as the addon holds it: its pidfd, poll and reap
 * (native/child_handle.cc). Its pid, flags and stdio ends are in `fields`
 * when spawn or cloneTask returns it (lib/exit-fields.ts reads them).
 */
export interface NativeChildHandle {
  kill(signal: number): boolean;
  /** Reaps, calling the exit callback before it returns. */
  waitSync(): void;
  close(): void;
  setRef(ref: boolean): void;
}

/** What the addon exports. */
export interface NativeBinding {
  /** onExit runs once, on the reap, with the exit in `fields`. */
  spawn(plan: NativeSpawnPlan, onExit: () => void): NativeChildHandle;
  /** Spawns, feeds, collects, limits and reaps in one call (native/spawn_sync.cc). */
  spawnSync(plan: NativeSpawnPlan, controls: NativeSyncControls): NativeSyncResult;
  /** `fields`: tasks.ts's packTaskPlan; the typed arrays a task reads cross beside it (native/task_plan.h). */
  cloneTask(
    fields: Float64Array,
    onExit: () => void,
    data?: ArrayBufferView,
    payload?: Uint8Array,
    word?: Uint8Array,
  ): NativeChildHandle;
  /** Clones the task and joins (or reaps) it in one call, leaving the exit in `fields` as waitSync does (native/task_sync.cc). */
  cloneTaskSync(
    fields: Float64Array,
    data?: ArrayBufferView,
    payload?: Uint8Array,
    word?: Uint8Array,
  ): void;
  /** The order of a packed task plan's numbers (tasks.ts's TASK_PLAN_FIELDS). */
  readonly taskPlanFields: readonly string[];
  setErrorFactory(factory: typeof makeSystemError): void;
  /**
   * A connected AF_UNIX stream pair, both ends close-on-exec from birth:
   * [Node's end, the child's end], for a stdio slot that carries data both
   * ways. Throws a CloneError (syscall 'socketpair') when none can be made.
   */
  socketpair(): [number, number];
  /** Kills (SIGKILL) and reaps every child still running that was not spawned with killAtExit false; for process exit. */
  teardown(): void;
  /** pidfd_open(pid, 0): a close-on-exec pidfd, or throws a CloneError (a RangeError for what is not a PID). */
  pidfdOpen(pid: number): number;
  readonly pageSize: number;
  /** Where a new handle's and an exit's numbers are left for JS (native/handle_fields.h). */
  readonly fields: Float64Array;
  /** The parent's side of the sharing probe (sharing-probe.ts), and the exit-signal check's disposition query. */
  readonly probeSupport: {
    /** 0 default, 1 ignored, 2 a handler. */
    saveDisposition(signal: number): number;
    currentDisposition(signal: number): number;
    restoreDisposition(signal: number): void;
    semaphoreCreate(): number;
    semaphoreValue(id: number): number;
    semaphoreRemove(id: number): void;
  };
}

let loaded: NativeBinding | undefined;

/**
 * The addon, loaded by the first call that needs it: a prebuild, else the
 * local build, found by node-gyp-build, itself required only then. Loading
 * it sets the factory its system errors are made with, and has the children
 * still running killed and reaped at Node's exit: a normal exit or a
 * worker's end runs the addon's env cleanup hook, but process.exit() skips
 * those hooks, not the 'exit' event.
 */
export function addon(): NativeBinding {
  if (loaded !== undefined) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => unknown;
  const binding = load(join(__dirname, '..')) as NativeBinding;
  binding.setErrorFactory(makeSystemError);
  process.once('exit', () => binding.teardown());
  loaded = binding;
  return binding;
}
