// The route from Node's child_process to linux-clone: a wrapper installed once
// on Node's ChildProcess.prototype.spawn that gives a ChildProcess our process
// handle, but only while one of this module's functions runs (a flag set and
// restored around the call). Every other caller of node:child_process gets
// Node's own behaviour, unchanged.
import { ChildProcess as NodeChildProcess } from 'node:child_process';

import { CloneProcessHandle, type OnExit } from './process-handle';
import type { NodeSpawnRequest } from './spawn-request';

/** The internals of Node's ChildProcess the route reads and replaces. */
interface ChildProcessInternals {
  _handle: { onexit?: OnExit } | null;
}

type Spawn = (this: ChildProcessInternals, options: NodeSpawnRequest) => unknown;

/** Set while one of our entry points runs; the next ChildProcess spawned takes it. */
let routeNextSpawn = false;
let installed = false;

/** Wraps ChildProcess.prototype.spawn, once per copy of this module. */
export function installRoute(): void {
  if (installed) return;
  installed = true;
  const prototype = NodeChildProcess.prototype as unknown as { spawn: Spawn };
  const nodeSpawn = prototype.spawn;
  prototype.spawn = function spawn(this: ChildProcessInternals, options: NodeSpawnRequest) {
    const handle = this._handle;
    if (handle instanceof CloneProcessHandle) {
      handle.request = options;
    } else if (routeNextSpawn && handle !== null && typeof handle === 'object') {
      routeNextSpawn = false;
      const ours = new CloneProcessHandle(handle.onexit);
      ours.request = options;
      this._handle = ours;
    }
    return nodeSpawn.call(this, options);
  };
}

/**
 * `nodeFunction` (spawn, exec, execFile, fork: Node's own) with the child it
 * spawns cloned by linux-clone: Node's argument handling, errors and events
 * around our process creation.
 */
export function routed<F extends (...args: never[]) => unknown>(nodeFunction: F): F {
  installRoute();
  const call = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const outer = routeNextSpawn;
    routeNextSpawn = true;
    try {
      return nodeFunction.apply(this, args) as ReturnType<F>;
    } finally {
      routeNextSpawn = outer;
    }
  };
  Object.defineProperty(call, 'name', { value: nodeFunction.name });
  Object.defineProperty(call, 'length', { value: nodeFunction.length });
  return call as unknown as F;
}
