// linux-clone/child_process: node:child_process with its children cloned by
// linux-clone (CLONE_VM|CLONE_VFORK, whatever Node's heap) instead of forked.
// spawn, exec, execFile and fork are Node's own functions, so their
// arguments, errors, events, timeouts and IPC are Node's, per Node version;
// only the process handle under them is ours (see route.ts).
import * as nodeChildProcess from 'node:child_process';
import { promisify } from 'node:util';

import { addon } from '../binding';
import { CloneProcessHandle } from './process-handle';
import { installRoute, routed } from './route';

// The addon loads with this module, not at the first spawn: a spawn made when
// Node is out of file descriptors must fail with EMFILE, as Node's does, not
// fail to load code.
addon();

export type * from 'node:child_process';

export const spawn: typeof nodeChildProcess.spawn = routed(nodeChildProcess.spawn);
export const exec: typeof nodeChildProcess.exec = routed(nodeChildProcess.exec);
export const execFile: typeof nodeChildProcess.execFile = routed(nodeChildProcess.execFile);
export const fork: typeof nodeChildProcess.fork = routed(nodeChildProcess.fork);

// util.promisify(exec) and util.promisify(execFile): Node's own promise forms
// ({stdout, stderr}, the error's fields, `.child`), routed too.
for (const [ours, node] of [
  [exec, nodeChildProcess.exec],
  [execFile, nodeChildProcess.execFile],
] as const) {
  const custom = (node as unknown as Record<symbol, (...args: never[]) => unknown>)[
    promisify.custom
  ];
  Object.defineProperty(ours, promisify.custom, { value: routed(custom), enumerable: false });
}

/**
 * Node's ChildProcess, whose spawn() clones through linux-clone. Every child
 * this module makes is an instance (instanceof holds for Node's ChildProcess
 * objects, which spawn, exec, execFile and fork return).
 */
export class ChildProcess extends nodeChildProcess.ChildProcess {
  constructor() {
    super();
    installRoute();
    const self = this as unknown as { _handle: { onexit?: CloneProcessHandle['onexit'] } };
    self._handle = new CloneProcessHandle(self._handle.onexit);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof nodeChildProcess.ChildProcess;
  }
}

// The synchronous family: Node's own functions over one native call (sync.ts).
export { execFileSync, execSync, spawnSync } from './sync';
