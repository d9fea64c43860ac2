// runSync(): run() without the event loop. One native call clones the
// program as spawn() does, feeds its stdin, collects stdout and stderr with
// poll() on the pidfd and the pipes, enforces the timeout and maxBuffer, and
// reaps it. Effect ring, beside spawn.ts.
import type { NativeSyncControls, NativeSyncResult } from './addon-types';
import { addon } from './binding';
import type { ExitInfo } from './child';
import { acquireContainer } from './container';
import { codedError } from './errors';
import { refuseUnsafeExitSignal } from './exit-signal';
import { CloneFlags } from './flags';
import { RUN_KEYS, runControls, type RunOptions, type RunResult } from './run';
import { signalName } from './signals';
import { planSpawn, type SpawnPlan, splitArgs } from './spawn-plan';

/** Options of runSync(): run()'s, less `signal` (nothing can abort a call that blocks). */
export type RunSyncOptions = Omit<RunOptions, 'signal'>;

const RUN_SYNC_KEYS = RUN_KEYS.filter((key) => key !== 'signal');

/**
 * @internal Clones the child `plan` describes, as spawnPlanned does, and
 * runs it to its end under `controls`. Throws a CloneError if the clone or
 * a step before exec fails; the child is then already reaped.
 */
export function spawnSyncPlanned(plan: SpawnPlan, controls: NativeSyncControls): NativeSyncResult {
  refuseUnsafeExitSignal(plan.flags.exitSignalNumber);
  const binding = addon();
  if (plan.container === null) return binding.spawnSync(plan.native, controls);
  const resources = acquireContainer(plan.container);
  try {
    return binding.spawnSync({ ...plan.native, container: resources.native }, controls);
  } finally {
    resources.releaseFds();
    // The child is reaped, or was never made: its cgroup can go.
    resources.cgroup?.removeSync();
  }
}

/** The exit a sync result reports, as wait() reports one. */
function exitInfo(result: NativeSyncResult): ExitInfo {
  return {
    pid: result.pid,
    exitCode: result.exitCode,
    signal: result.signal === 0 ? null : signalName(result.signal),
    coreDumped: result.coreDumped,
    rusage: result.rusage,
    elapsedMs: result.elapsedMs,
  };
}

/**
 * Spawns `file` as run() does and returns once the child is reaped and its
 * output closed, with run()'s result. A non-zero exit returns too; runSync
 * throws only when the library could not do its part: a bad option or a
 * failed spawn (before anything is cloned where JS can tell), or output past
 * `maxBuffer` (ERR_CHILD_PROCESS_STDIO_MAXBUFFER, after the child is killed
 * and reaped). Node's thread is blocked meanwhile: no timer, event or
 * callback of Node's runs until it returns.
 */
export function runSync(
  file: string,
  args?: readonly string[] | RunSyncOptions,
  options?: RunSyncOptions,
): RunResult {
  const [argList, rawOptions] = splitArgs(args, options);
  const controls = runControls(rawOptions ?? {}, RUN_SYNC_KEYS);
  const plan = planSpawn(file, argList, controls.spawnOptions);
  const input = typeof controls.input === 'string' ? Buffer.from(controls.input) : controls.input;
  const streams = plan.native.stdio.map((slot, i) => {
    if (slot !== 'pipe') return undefined;
    // Slot 0 is the child's input: written, then closed, as run() ends stdin.
    return i === 0 ? { collect: false, input: input ?? new Uint8Array(0) } : { collect: true };
  });
  const result = spawnSyncPlanned(plan, {
    streams,
    timeout: controls.timeout,
    // run()'s maxBuffer 0 allows no output at all.
    maxBuffer: controls.maxBuffer,
    maxBufferEach: true,
    killSignal: controls.killSignal,
  });
  if (result.overflowed) {
    throw codedError(
      new RangeError(`stdout or stderr exceeded maxBuffer (${controls.maxBuffer} bytes)`),
      'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
    );
  }
  const decode = (chunk: Buffer | null | undefined) => {
    const bytes = chunk ?? Buffer.alloc(0);
    return controls.encoding === 'buffer' ? bytes : bytes.toString(controls.encoding);
  };
  return {
    ...exitInfo(result),
    stdout: decode(result.output[1]),
    stderr: decode(result.output[2]),
    timedOut: result.timedOut,
    flags: new CloneFlags(result.flags, plan.flags.exitSignalNumber).toString(),
  };
}
