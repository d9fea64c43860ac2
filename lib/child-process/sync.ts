// spawnSync, execSync and execFileSync with the child cloned by linux-clone.
// They are Node's own functions, so their arguments, errors, results and
// encodings are Node's, per Node version. Node's spawnSync ends, after its
// normalization and validation, in one call to its internal spawn_sync
// binding; while one of these functions runs, and only then, that binding's
// spawn is ours: it answers as Node's does ({ error, status, signal, output,
// pid }) from one native call that clones, feeds, collects, limits and reaps.
import * as nodeChildProcess from 'node:child_process';
import { constants } from 'node:os';

import type { NativeSyncResult, NativeSyncStream } from '../addon-types';
import { planSpawn } from '../spawn-plan';
import { spawnSyncPlanned } from '../spawn-sync';
import { signalName } from '../signals';
import { negativeErrno } from './process-handle';
import {
  cloneSpawnArguments,
  type NodeSpawnRequest,
  type NodeStdioEntry,
  wantsPipe,
} from './spawn-request';

/** A stdio entry of a sync request: a pipe is readable (the child reads, we write `input`) or writable. */
interface NodeSyncStdioEntry extends NodeStdioEntry {
  readable?: boolean;
  writable?: boolean;
  input?: ArrayBufferView | string;
}

/** What Node's spawnSync hands its binding, once it has normalized and validated it. */
interface NodeSyncRequest extends NodeSpawnRequest {
  stdio: readonly NodeSyncStdioEntry[];
  timeout?: number | null;
  maxBuffer?: number | null;
  killSignal?: number | null;
}

/** What the binding answers: an error is a negative errno, Node's JS makes the Error. */
interface NodeSyncResult {
  error?: number;
  status: number | null;
  signal: string | null;
  output: Array<Buffer | null> | null;
  pid: number;
}

interface SpawnSyncBinding {
  /** Called as a property of the binding: Node's own reads `this`, ours does not. */
  spawn: (this: SpawnSyncBinding, request: NodeSyncRequest) => NodeSyncResult;
}

function bytesOf(input: ArrayBufferView | string): Uint8Array {
  if (typeof input === 'string') return Buffer.from(input);
  return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/** Our end of a 'pipe' slot: Node writes `input` to a readable one (and ends it), reads a writable one. */
function streamFor(entry: NodeSyncStdioEntry): NativeSyncStream | undefined {
  if (!wantsPipe(entry)) return undefined;
  const stream: NativeSyncStream = { collect: entry.writable === true };
  if (entry.readable === true)
    stream.input = entry.input == null ? new Uint8Array(0) : bytesOf(entry.input);
  return stream;
}

/** Node's binding answer for a spawn that failed before the program ran. */
function failed(errno: number): NodeSyncResult {
  return { error: errno, status: null, signal: null, output: null, pid: 0 };
}

/** Node's spawn_sync.spawn, cloned: the same request, the same answer. */
function cloneSpawnSync(request: NodeSyncRequest): NodeSyncResult {
  let result: NativeSyncResult;
  try {
    const { file, args, options } = cloneSpawnArguments(request, new Map());
    // Each pipe is a socketpair, as libuv makes them: 'pipe' stands in for
    // the slot here, 'socket' is what the addon gets.
    options.stdio = request.stdio.map((entry, i) =>
      wantsPipe(entry) ? 'pipe' : (options.stdio as unknown[])[i],
    ) as typeof options.stdio;
    const plan = planSpawn(file, args, options);
    plan.native.stdio = plan.native.stdio.map((slot, i) =>
      wantsPipe(request.stdio[i]) ? 'socket' : slot,
    );
    // Node's maxBuffer of 0 (or none) is no cap.
    const maxBuffer =
      request.maxBuffer == null || request.maxBuffer <= 0 ? Infinity : request.maxBuffer;
    result = spawnSyncPlanned(plan, {
      streams: request.stdio.map(streamFor),
      timeout: request.timeout ?? 0,
      maxBuffer,
      maxBufferEach: false,
      killSignal: request.killSignal ?? constants.signals.SIGTERM,
    });
  } catch (error) {
    const errno = negativeErrno(error);
    if (errno === undefined) throw error;
    return failed(errno);
  }
  const answer: NodeSyncResult = {
    status: result.signal === 0 ? result.exitCode : null,
    signal: result.signal === 0 ? null : signalName(result.signal),
    output: result.output.map((bytes) => bytes ?? null),
    pid: result.pid,
  };
  return result.error === 0 ? answer : { error: result.error, ...answer };
}

let binding: SpawnSyncBinding | null | undefined;

/**
 * Node's spawn_sync binding, the object its spawnSync calls `spawn` on at
 * each call; null where it cannot be had (a permission model that refuses
 * process.binding). Then the sync functions are Node's own, unrouted.
 */
function spawnSyncBinding(): SpawnSyncBinding | null {
  if (binding !== undefined) return binding;
  try {
    const found = (process as unknown as { binding(name: string): unknown }).binding('spawn_sync');
    binding =
      typeof (found as SpawnSyncBinding | null)?.spawn === 'function'
        ? (found as SpawnSyncBinding)
        : null;
  } catch {
    binding = null;
  }
  return binding;
}

/** `nodeFunction` (Node's spawnSync, execSync, execFileSync) with its child cloned by linux-clone. */
function routedSync<F extends (...args: never[]) => unknown>(nodeFunction: F): F {
  const call = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const target = spawnSyncBinding();
    if (target === null) return nodeFunction.apply(this, args) as ReturnType<F>;
    const nodeSpawn = target.spawn;
    target.spawn = cloneSpawnSync;
    try {
      return nodeFunction.apply(this, args) as ReturnType<F>;
    } finally {
      target.spawn = nodeSpawn;
    }
  };
  Object.defineProperty(call, 'name', { value: nodeFunction.name });
  Object.defineProperty(call, 'length', { value: nodeFunction.length });
  return call as unknown as F;
}

export const spawnSync: typeof nodeChildProcess.spawnSync = routedSync(nodeChildProcess.spawnSync);
export const execSync: typeof nodeChildProcess.execSync = routedSync(nodeChildProcess.execSync);
export const execFileSync: typeof nodeChildProcess.execFileSync = routedSync(
  nodeChildProcess.execFileSync,
);
