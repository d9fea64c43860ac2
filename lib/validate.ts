// Validation of user input, in one place: every refusal is a coded
// TypeError or RangeError thrown before anything is cloned.
import { constants } from 'node:os';

import { binding } from './binding';
import { codedError, invalidType, invalidValue, outOfRange } from './errors';

/** A signal by name ('SIGTERM') or number (1–64). */
export type SignalLike = NodeJS.Signals | `SIG${string}` | number;

const SIGNAL_NUMBERS: ReadonlyMap<string, number> = new Map(Object.entries(constants.signals));
const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  [...SIGNAL_NUMBERS]
    .filter(([name]) => name !== 'SIGIOT' && name !== 'SIGPOLL')
    .map(([n, v]) => [v, n]),
);
/** The kernel's first real-time signal; strace names the rest SIGRT_<n>. */
const SIGRTMIN = 32;
export const MAX_SIGNAL = 64;

/** The name of signal `n`: 'SIGTERM', or 'SIGRT_2' for real-time ones, as strace prints them. */
export function signalName(n: number): string {
  return (
    SIGNAL_NAMES.get(n) ?? (n >= SIGRTMIN && n <= MAX_SIGNAL ? `SIGRT_${n - SIGRTMIN}` : String(n))
  );
}

/** The number of a signal name, or undefined. */
export function signalNumber(name: string): number | undefined {
  const known = SIGNAL_NUMBERS.get(name);
  if (known !== undefined) return known;
  const rt = /^SIGRT_(\d+)$/.exec(name);
  if (rt && Number(rt[1]) <= MAX_SIGNAL - SIGRTMIN) return SIGRTMIN + Number(rt[1]);
  return undefined;
}

export function knownSignalNames(): string[] {
  return [...SIGNAL_NUMBERS.keys()];
}

export function validateSignal(name: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIGNAL) {
      throw outOfRange(name, `a signal number from 1 to ${MAX_SIGNAL}`, value);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalidType(name, 'a signal name or number', value);
  const n = signalNumber(value);
  if (n === undefined) throw invalidValue(name, 'must be a signal name such as "SIGTERM"', value);
  return n;
}

export function validateObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidType(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** A string Linux can pass to a syscall: no NUL bytes. */
export function validateString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidType(name, 'a string', value);
  if (value.includes('\0')) throw invalidValue(name, 'must not contain NUL bytes', value);
  return value;
}

export function validateStringArray(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidType(name, 'an array of strings', value);
  return value.map((item, i) => validateString(`${name}[${i}]`, item));
}

export function validateBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

export function validateInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function validateAbortSignal(name: string, value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) throw invalidType(name, 'an AbortSignal', value);
  return value;
}

/** Signals whose default action leaves a process running. */
const HARMLESS_BY_DEFAULT: ReadonlySet<number> = new Set([
  constants.signals.SIGCHLD,
  constants.signals.SIGURG,
  constants.signals.SIGWINCH,
  constants.signals.SIGCONT,
]);
/**
 * Never an exit signal: SIGKILL and SIGSTOP cannot be handled; a fault signal
 * sent by the kernel on a child's exit reaches V8's fault handler, which
 * takes it for a crash; 32 and 33 are the C library's own (thread
 * cancellation, setuid broadcast).
 */
const NEVER: ReadonlySet<number> = new Set([
  constants.signals.SIGKILL,
  constants.signals.SIGSTOP,
  constants.signals.SIGSEGV,
  constants.signals.SIGBUS,
  constants.signals.SIGFPE,
  constants.signals.SIGILL,
  constants.signals.SIGTRAP,
  constants.signals.SIGSYS,
  constants.signals.SIGABRT,
  32,
  33,
]);
const NODE_HANDLES: ReadonlySet<number> = new Set([
  constants.signals.SIGINT,
  constants.signals.SIGTERM,
  constants.signals.SIGUSR1,
]);
const IGNORED = 1;
const HANDLED = 2;

/**
 * An `exitSignal` option: undefined keeps `fallback`, null or 0 means none,
 * else a signal. The kernel sends it to Node when the child ends, so one
 * that would end or stop Node (SIGTERM with no handler), a fault signal, or
 * one Node or the C library uses itself is refused with
 * ERR_UNSAFE_EXIT_SIGNAL; for the others, install a handler first.
 */
export function exitSignalOption(value: unknown, fallback: number): number {
  let n: number;
  if (value === undefined) n = fallback;
  else if (value === null || value === 0) return 0;
  else n = validateSignal('options.exitSignal', value);
  if (n === 0 || HARMLESS_BY_DEFAULT.has(n)) return n;
  const disposition = NEVER.has(n) ? 0 : binding.probeSupport.currentDisposition(n);
  // Node handles these itself: SIGINT and SIGTERM by resetting the terminal
  // and dying of them, SIGUSR1 by starting the inspector. Only a listener of
  // the program's own makes them expected.
  const nodesOwn = NODE_HANDLES.has(n) && process.listenerCount(signalName(n)) === 0;
  if ((disposition !== IGNORED && disposition !== HANDLED) || nodesOwn) {
    const name = signalName(n);
    throw codedError(
      new RangeError(
        `exit signal ${name} would end or stop Node (or, for SIGUSR1, start its inspector) when the child exits: nothing of the program's handles or ignores it (process.on('${name}', …) first)`,
      ),
      'ERR_UNSAFE_EXIT_SIGNAL',
    );
  }
  return n;
}
