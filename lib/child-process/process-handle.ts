// The process handle a ChildProcess of this module drives: it takes the place
// of Node's libuv Process handle and answers as that handle does (spawn and
// kill return 0 or a negative errno, onexit is called once with the exit
// status and a signal name), but the child is cloned by linux-clone.
import { closeSync } from 'node:fs';
import { constants } from 'node:os';

import { addon } from '../binding';
import type { Child } from '../child';
import { CloneError } from '../clone-error';
import { spawn } from '../spawn';
import {
  cloneSpawnArguments,
  type NodePipeHandle,
  type NodeSpawnRequest,
  wantsPipe,
} from './spawn-request';

/** How Node's ChildProcess learns of the exit: (status, '') or (0, 'SIGTERM'); a negative status is a spawn error. */
export type OnExit = (exitStatus: number, signalCode?: string) => void;

/** One socketpair made for a 'pipe' slot: Node's Pipe handle opens our end. */
interface SlotPipe {
  slot: number;
  handle: NodePipeHandle;
  ours: number;
  childs: number;
}

/** -errno for a system error of ours (a CloneError), as libuv returns it; undefined for any other error. */
export function negativeErrno(error: unknown): number | undefined {
  if (!(error instanceof CloneError)) return undefined;
  const errno = (constants.errno as Record<string, number | undefined>)[error.code];
  return errno === undefined ? undefined : -errno;
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) closeSync(fd);
}

/** A socketpair for each slot that wants one; on a failure the pairs made so far are closed. */
function makePipes(request: NodeSpawnRequest): SlotPipe[] {
  const pipes: SlotPipe[] = [];
  try {
    request.stdio.forEach((entry, slot) => {
      if (!wantsPipe(entry) || entry.handle === undefined) return;
      const [ours, childs] = addon().socketpair();
      pipes.push({ slot, handle: entry.handle, ours, childs });
    });
  } catch (error) {
    closeAll(pipes.flatMap((pipe) => [pipe.ours, pipe.childs]));
    throw error;
  }
  return pipes;
}

export class CloneProcessHandle {
  /** Set from the Process handle this one replaces: ChildProcess's exit logic. */
  onexit: OnExit | undefined;
  /** The child's pid once spawned; undefined before, and after a failed spawn, as on Node's handle. */
  pid: number | undefined;
  /** The options ChildProcess.prototype.spawn was called with, set by the prototype wrapper. */
  request: NodeSpawnRequest | undefined;
  #child: Child | null = null;
  #referenced = true;
  #closed = false;

  constructor(onexit: OnExit | undefined) {
    this.onexit = onexit;
  }

  /**
   * Clones the child the request describes: 0, or the negative errno of a
   * system error (a program not found, a failed chdir or exec), as libuv's
   * uv_spawn. Node's own Process.spawn takes the request (Node 20) or its
   * fields one by one (Node 22 on); the wrapper hands us the whole object.
   */
  spawn(first?: unknown): number {
    const request = this.request ?? (first as NodeSpawnRequest);
    let pipes: SlotPipe[];
    try {
      pipes = makePipes(request);
    } catch (error) {
      const errno = negativeErrno(error);
      if (errno === undefined) throw error;
      return errno;
    }
    const childEnds = new Map(pipes.map((pipe) => [pipe.slot, pipe.childs]));
    let result = 0;
    try {
      const { file, args, options } = cloneSpawnArguments(request, childEnds);
      this.#adopt(spawn(file, args, options));
    } catch (error) {
      result = negativeErrno(error) ?? 0;
      if (result === 0) {
        closeAll(pipes.map((pipe) => pipe.ours));
        throw error;
      }
    } finally {
      closeAll(pipes.map((pipe) => pipe.childs));
    }
    // As libuv: Node's ends are open even when the exec failed, so Node's
    // streams end (EOF) rather than fail to start.
    for (const pipe of pipes) pipe.handle.open(pipe.ours);
    return result;
  }

  #adopt(child: Child): void {
    this.#child = child;
    this.pid = child.pid;
    if (!this.#referenced) child.unref();
    void child.wait().then((info) => {
      if (!this.#closed) this.onexit?.(info.exitCode ?? 0, info.signal ?? '');
    });
  }

  /** 0 once sent; -ESRCH when the child is gone (or was never spawned). Signal 0 asks whether it runs. */
  kill(signal: number): number {
    const child = this.#child;
    if (child === null || child.exitInfo !== null) return -constants.errno.ESRCH;
    if (signal === 0) return 0;
    return child.kill(signal) ? 0 : -constants.errno.ESRCH;
  }

  ref(): void {
    this.#referenced = true;
    if (!this.#closed) this.#child?.ref();
  }

  unref(): void {
    this.#referenced = false;
    this.#child?.unref();
  }

  hasRef(): boolean {
    return (
      this.#referenced && !this.#closed && this.#child !== null && this.#child.exitInfo === null
    );
  }

  /**
   * Stops reporting: onexit is not called after this, and the child no longer
   * keeps Node running. A running child is left running, as libuv leaves it.
   */
  close(callback?: () => void): void {
    this.#closed = true;
    this.#child?.unref();
    if (typeof callback === 'function') setImmediate(callback);
  }
}
