// The Child handle spawn() and clone() return, and the ExitLatch that
// settles its one exit when the addon reaps it. Effect ring: it holds the
// addon's handle, but loads nothing itself.
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';

import type { NativeExit, Rusage, TaskProbe } from './addon-types';
import type { NativeChildHandle } from './binding';
import { checkChildThis, isChild, markChild } from './child-brand';
import { abortError, invalidThis } from './errors';
import { type FieldViews, fieldViews, readExit, readHandle } from './exit-fields';
import { CloneFlags } from './flags';
import { signalName, signalNumber, SIGNALS, type SignalLike } from './signals';
import { validateAbortSignal, validateObject, validateSignal } from './validate';

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

/** Options of Child.wait(). */
export interface WaitOptions {
  /** Stop waiting (the child runs on) and reject with an AbortError. */
  signal?: AbortSignal;
}

/**
 * The ExitInfo of a native exit, for waitSync, wait() and cloneSync alike.
 * `killedWith`: the signal kill() asked for, reported for a task it cancelled.
 */
export function toExitInfo(exit: NativeExit, killedWith: number): ExitInfo {
  const cancelled = exit.cancelled === true;
  const info: ExitInfo = {
    pid: exit.pid,
    exitCode: cancelled ? null : exit.exitCode,
    signal: cancelled ? signalName(killedWith) : exit.signal === 0 ? null : signalName(exit.signal),
    coreDumped: exit.coreDumped,
    rusage: exit.rusage,
    elapsedMs: exit.elapsedMs,
  };
  // The sharing probe's observation is read by sharing-probe.ts alone.
  if (exit.value !== undefined) info.value = exit.value as ExitInfo['value'];
  return info;
}

/** Signals whose default action leaves a process running: ignore, stop, continue. */
const SIGNALS_THAT_DO_NOT_END = new Set(
  ['SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGWINCH'].map(
    (name) => signalNumber(name),
  ),
);

/** The signals `pid` catches or ignores (SigCgt | SigIgn of its status), or null once it is gone. */
function handledSignals(pid: number): bigint | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const mask = (line: RegExp) => BigInt(`0x${line.exec(status)?.[1] ?? '0'}`);
  return mask(/^SigCgt:\s*([0-9a-f]+)$/m) | mask(/^SigIgn:\s*([0-9a-f]+)$/m);
}

/**
 * The signal to send so that `signal` does what it asks of the init of a
 * new PID namespace. The kernel drops every signal from outside that such a
 * pid 1 has left at its default action (SIGKILL and SIGSTOP aside), so a
 * SIGTERM that would end any other program would leave it running: such a
 * signal, one whose default action ends a process, becomes SIGKILL.
 */
function signalForInit(pid: number, signal: number): number {
  if (signal === SIGNALS.SIGKILL || signal === 0 || SIGNALS_THAT_DO_NOT_END.has(signal))
    return signal;
  const handled = handledSignals(pid);
  if (handled === null || ((handled >> BigInt(signal - 1)) & 1n) === 1n) return signal;
  return SIGNALS.SIGKILL;
}

/**
 * The one exit of a child, settled by the native reap. Its promise is made
 * only when someone waits (wait(), run()): a child spawned, then waited for
 * synchronously or not at all, makes none.
 */
export class ExitLatch {
  /** The env's field array, where the addon leaves the handle's and the exit's numbers. */
  readonly views: FieldViews;
  info: ExitInfo | null = null;
  /** The signal the first kill() asked for. */
  killedWith = 0;
  /** @internal Memory the child reads, referenced until it exits so it cannot be collected. */
  retained: unknown;

  /** Runs after the reap, before the promise settles: removes a child's cgroup. */
  private readonly cleanup: (() => Promise<void> | undefined) | undefined;
  /** Reactions queued once the exit settles, without a promise. */
  private readonly reactions: Array<() => void> = [];
  /** True once the exit is known and its cleanup has finished. */
  private settled = false;
  private made: Promise<ExitInfo> | undefined;
  private resolve: ((info: ExitInfo) => void) | undefined;

  constructor(fields: Float64Array, retained?: unknown, cleanup?: () => Promise<void> | undefined) {
    this.views = fieldViews(fields);
    this.retained = retained;
    this.cleanup = cleanup;
  }

  /** Resolves with the exit once it is settled; made by the first caller. */
  get promise(): Promise<ExitInfo> {
    if (this.made !== undefined) return this.made;
    if (this.settled) return (this.made = Promise.resolve(this.info!));
    return (this.made = new Promise((resolve) => {
      this.resolve = resolve;
    }));
  }

  /** Queues `reaction` as a microtask once the exit is settled, as a promise reaction would run. */
  whenSettled(reaction: () => void): void {
    if (this.settled) queueMicrotask(reaction);
    else this.reactions.push(reaction);
  }

  private settle(info: ExitInfo): void {
    this.settled = true;
    for (const reaction of this.reactions.splice(0)) queueMicrotask(reaction);
    this.resolve?.(info);
  }

  /** Called by the addon once the child is reaped, with the exit in the fields. */
  readonly onExit = (): void => {
    this.retained = undefined;
    const info = (this.info = toExitInfo(readExit(this.views), this.killedWith));
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
  /**
   * Node's end of each 'pipe' slot, else null: slot 0 a Writable, slots 1
   * and 2 Readables, and each slot above them a Duplex (a socket pair).
   */
  readonly stdio: ReadonlyArray<Readable | Writable | Duplex | null>;
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
  readonly #pidfd: number | null;

  /** @internal Made by spawn() and clone(). */
  constructor(handle: NativeChildHandle, exit: ExitLatch, cgroup: string | null = null) {
    this.#handle = handle;
    markChild(this);
    this.cgroup = cgroup;
    this.#exit = exit;
    // The addon left them in the fields as it made the handle.
    const fields = readHandle(exit.views);
    this.pid = fields.pid;
    this.#pidfd = fields.pidfd;
    this.flags = new CloneFlags(fields.flags, fields.exitSignal);
    this.syscall = fields.syscall;
    this.tls = fields.tls;
    // Slot 0 is written by Node, slots 1 and 2 read; above them a slot
    // is a socket pair, read and written (a Duplex).
    this.stdio = fields.stdio.map((fd, slot) =>
      fd === null
        ? null
        : new Socket({ fd, readable: slot !== 0, writable: slot === 0 || slot > 2 }),
    );
    this.stdin = (this.stdio[0] as Writable | null) ?? null;
    this.stdout = (this.stdio[1] as Readable | null) ?? null;
    this.stderr = (this.stdio[2] as Readable | null) ?? null;
    // Nobody reads the child's stdin once it is gone: close Node's end then,
    // or each child leaves an fd open. stdout and stderr close at their EOF.
    const stdin = this.stdin;
    if (stdin !== null) exit.whenSettled(() => stdin.destroy());
  }

  /** The child's pidfd while it is unreaped; null after, and for a thread (joined through its TID word). */
  get pidfd(): number | null {
    checkChildThis(this, 'pidfd');
    return this.#exit.info === null ? this.#pidfd : null;
  }

  /** The exit, once reaped; else null. */
  get exitInfo(): ExitInfo | null {
    checkChildThis(this, 'exitInfo');
    return this.#exit.info;
  }

  /** Resolves when the child has exited and been reaped. Never blocks the event loop. */
  wait(options: WaitOptions = {}): Promise<ExitInfo> {
    if (!isChild(this)) return Promise.reject(invalidThis('Child', 'wait'));
    const { signal: given } = validateObject('options', options) as WaitOptions;
    if (given === undefined || this.#exit.info !== null) return this.#exit.promise;
    const signal = validateAbortSignal('options.signal', given);
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
    checkChildThis(this, 'waitSync');
    return this.#exit.info ?? (this.#handle.waitSync(), this.#exit.info!);
  }

  /**
   * Sends a signal through the pidfd (default SIGTERM); false once the child
   * is gone. A task sharing Node's signal handlers (every CLONE_THREAD task)
   * is cancelled instead: tgkill sends it SIGRTMAX, which it consumes at its
   * next look, and its ExitInfo reports `signal` as asked here. A child that
   * is pid 1 of a new PID namespace (CLONE_NEWPID) would never see a signal
   * it has no handler for: one whose default action ends a process is sent
   * as SIGKILL then, so it ends as asked (its ExitInfo says SIGKILL).
   */
  kill(signal: SignalLike = 'SIGTERM'): boolean {
    checkChildThis(this, 'kill');
    const n = validateSignal('signal', signal);
    if (this.#exit.killedWith === 0) this.#exit.killedWith = n;
    const initOfItsOwn = this.flags.has('NEWPID') && this.#exit.info === null;
    return this.#handle.kill(initOfItsOwn ? signalForInit(this.pid, n) : n);
  }

  /** Keeps Node running until the child exits (the default). */
  ref(): this {
    checkChildThis(this, 'ref');
    this.#handle.setRef(true);
    return this;
  }

  /**
   * Lets Node exit while the child runs; the child is then killed and
   * reaped at exit, unless it was spawned with `killAtExit: false`.
   */
  unref(): this {
    checkChildThis(this, 'unref');
    this.#handle.setRef(false);
    return this;
  }

  /** Kills (SIGKILL) and reaps the child if it still runs, and closes our stdio ends. Idempotent. */
  close(): void {
    checkChildThis(this, 'close');
    if (this.#exit.killedWith === 0) this.#exit.killedWith = SIGNALS.SIGKILL;
    this.#handle.close();
    for (const stream of this.stdio) stream?.destroy();
  }

  /** `await using child = spawn(…)`: kills and reaps on scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    checkChildThis(this, '[Symbol.asyncDispose]');
    this.kill('SIGKILL');
    await this.wait();
    for (const stream of this.stdio) stream?.destroy();
  }
}
