// run(): spawn a program, feed its stdin, collect its output, and stop it
// on a timeout, an overflow or an abort. Effect ring, on top of spawn.
import type { Readable } from 'node:stream';

import type { Child, ExitInfo } from './child';
import { abortError, codedError, invalidType, invalidValue } from './errors';
import type { SignalLike } from './signals';
import { spawnPlanned } from './spawn';
import { planSpawn, SPAWN_KEYS, type SpawnOptions, splitArgs } from './spawn-plan';
import {
  validateAbortSignal,
  validateInteger,
  validateKeys,
  validateObject,
  validateSignal,
} from './validate';

/** Options of run(): spawn's, and how to feed, collect and limit the child. */
export interface RunOptions extends SpawnOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** How stdout and stderr come back; 'buffer' for Buffers. Default 'utf8'. */
  encoding?: BufferEncoding | 'buffer';
  /** Largest stdout or stderr collected, in bytes; past it the child is killed and run rejects with ERR_CHILD_PROCESS_STDIO_MAXBUFFER. Default 1 MiB. */
  maxBuffer?: number;
  /** Milliseconds before the child is sent `killSignal`; the result then has `timedOut: true`. 0 (default): no limit. */
  timeout?: number;
  /** The signal for `timeout`, `maxBuffer` and an abort. Default 'SIGTERM'. */
  killSignal?: SignalLike;
  /** Aborting kills the child with `killSignal` and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** What run() resolves with: the exit, the output and the flags. */
export interface RunResult extends ExitInfo {
  /** Everything the child wrote to stdout: a string in `encoding`, or a Buffer. Empty unless stdout was 'pipe'. */
  stdout: string | Buffer;
  /** Everything the child wrote to stderr, like `stdout`. */
  stderr: string | Buffer;
  /** True when `timeout` fired and the child was sent `killSignal`. */
  timedOut: boolean;
  /** The flags passed to the kernel, in strace's syntax. */
  flags: string;
}

/** @internal The options run() takes; runSync takes them less `signal`. */
export const RUN_KEYS = [
  ...SPAWN_KEYS,
  'input',
  'encoding',
  'maxBuffer',
  'timeout',
  'killSignal',
  'signal',
];

/** @internal run()'s own options, validated, and the rest for spawn. */
export interface RunControls {
  readonly input: string | Uint8Array | undefined;
  readonly encoding: BufferEncoding | 'buffer';
  readonly maxBuffer: number;
  readonly timeout: number;
  readonly killSignal: number;
  readonly signal: AbortSignal | undefined;
  readonly spawnOptions: SpawnOptions;
}

/** @internal Validates run()'s options (runSync's too). */
export function runControls(options: unknown, keys: readonly string[] = RUN_KEYS): RunControls {
  const opts = validateObject('options', options) as RunOptions;
  validateKeys('options', opts as Record<string, unknown>, keys);
  const {
    input,
    encoding = 'utf8',
    maxBuffer = 1024 * 1024,
    timeout = 0,
    killSignal = 'SIGTERM',
    signal,
    ...spawnOptions
  } = opts;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw invalidType('options.input', 'a string or Uint8Array', input);
  }
  if (encoding !== 'buffer' && !Buffer.isEncoding(encoding))
    throw invalidValue('options.encoding', 'must be a Buffer encoding or "buffer"', encoding);
  validateInteger('options.maxBuffer', maxBuffer, 0, Number.MAX_SAFE_INTEGER);
  validateInteger('options.timeout', timeout, 0, 2 ** 31 - 1);
  const killNumber = validateSignal('options.killSignal', killSignal);
  if (signal !== undefined) validateAbortSignal('options.signal', signal);
  if (signal?.aborted) throw abortError(signal.reason);
  return { input, encoding, maxBuffer, timeout, killSignal: killNumber, signal, spawnOptions };
}

function collect(
  stream: Readable | null,
  maxBuffer: number,
  onOverflow: () => void,
): { done: Promise<void>; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  if (stream === null) return { done: Promise.resolve(), chunks };
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBuffer) onOverflow();
    else chunks.push(chunk);
  });
  const done = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return { done, chunks };
}

/** What stops a child early: a timeout, an overflow, an abort. The first failure is kept. */
class Stopper {
  failure: Error | undefined;
  timedOut = false;
  stopped = false;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onAbort: () => void;

  constructor(
    private readonly child: Child,
    private readonly controls: RunControls,
  ) {
    const { timeout, signal } = controls;
    this.#timer =
      timeout > 0 ? setTimeout(() => ((this.timedOut = true), this.stop()), timeout) : undefined;
    this.#onAbort = () => this.stop(abortError(signal?.reason));
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly stop = (error?: Error): void => {
    this.failure ??= error;
    this.stopped = true;
    this.child.kill(this.controls.killSignal);
  };

  readonly overflow = (): void =>
    this.stop(
      codedError(
        new RangeError(`stdout or stderr exceeded maxBuffer (${this.controls.maxBuffer} bytes)`),
        'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
      ),
    );

  dispose(): void {
    clearTimeout(this.#timer);
    this.controls.signal?.removeEventListener('abort', this.#onAbort);
  }
}

async function supervise(child: Child, controls: RunControls): Promise<RunResult> {
  const stopper = new Stopper(child, controls);
  const out = collect(child.stdout, controls.maxBuffer, stopper.overflow);
  const err = collect(child.stderr, controls.maxBuffer, stopper.overflow);
  if (child.stdin !== null) {
    child.stdin.on('error', () => {}); // EPIPE when the child does not read its input
    child.stdin.end(controls.input);
  }
  // Once a child we stopped is reaped, a grandchild may still hold its
  // stdout open; what it would write is not wanted. A 'pipe' above slot 2
  // is nobody's to read through run(): its socket closes with the child.
  const reaped = child.wait().then((exit) => {
    if (stopper.stopped) for (const stream of [child.stdout, child.stderr]) stream?.destroy();
    for (const stream of child.stdio.slice(3)) stream?.destroy();
    return exit;
  });
  try {
    const [exit] = await Promise.all([reaped, out.done, err.done]);
    if (stopper.failure !== undefined) throw stopper.failure;
    const { encoding } = controls;
    const decode = (chunks: Buffer[]) =>
      encoding === 'buffer' ? Buffer.concat(chunks) : Buffer.concat(chunks).toString(encoding);
    return {
      ...exit,
      stdout: decode(out.chunks),
      stderr: decode(err.chunks),
      timedOut: stopper.timedOut,
      flags: child.flags.toString(),
    };
  } finally {
    stopper.dispose();
  }
}

/**
 * Spawns `file`, feeds `input`, collects stdout and stderr, and resolves when
 * the child is reaped and its output closed. A non-zero exit resolves too;
 * run rejects only when the library could not do its part.
 */
export async function run(
  file: string,
  args?: readonly string[] | RunOptions,
  options?: RunOptions,
): Promise<RunResult> {
  const [argList, rawOptions] = splitArgs(args, options);
  const controls = runControls(rawOptions ?? {});
  return supervise(spawnPlanned(planSpawn(file, argList, controls.spawnOptions)), controls);
}
