// The validators of user input. Each entry point validates its own options
// with these before anything is cloned; every refusal is a coded TypeError
// or RangeError. Pure: nothing here loads native code or asks the kernel.
import { closest } from 'fastest-levenshtein';

import { codedError, invalidType, invalidValue, outOfRange } from './errors';
import { MAX_SIGNAL, type SignalLike, signalNumber } from './signals';

export type { SignalLike };

/** Refuses any own key of `options` that `allowed` does not list: a misspelt option is an error, not a no-op. */
export function validateKeys(
  name: string,
  options: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key))
      throw invalidValue(name, `has no option ${JSON.stringify(key)}`, key);
  }
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

/**
 * Refuses a revoked Proxy: every operation on one, Array.isArray included,
 * throws the engine's TypeError, which no caller wrote and which has no
 * code. Array.isArray runs no trap, so a live Proxy's handler is not called.
 */
export function refuseRevokedProxy(name: string, value: unknown): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  try {
    Array.isArray(value);
  } catch {
    throw codedError(new TypeError(`${name} is a revoked Proxy`), 'ERR_INVALID_ARG_TYPE');
  }
}

/**
 * An object of options, as a snapshot: its own enumerable properties, each
 * read once (a getter runs once, so what is validated is what is used), in
 * an object without a prototype (so nothing set on Object.prototype is ever
 * taken for an option). Read the snapshot, never the caller's object again.
 */
export function validateObject(name: string, value: unknown): Record<string, unknown> {
  refuseRevokedProxy(name, value);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidType(name, 'an object', value);
  const snapshot = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    refuseRevokedProxy(`${name}.${key}`, item);
    snapshot[key] = item;
  }
  return snapshot;
}

/** A string Linux can pass to a syscall: no NUL bytes. */
export function validateString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidType(name, 'a string', value);
  if (value.includes('\0')) throw invalidValue(name, 'must not contain NUL bytes', value);
  return value;
}

/**
 * An array of at most `max` items, as a dense copy: its length is read once
 * and checked before any item is read, so a sparse array of length 2^32-1
 * costs nothing to refuse, and a Proxy cannot answer two lengths.
 */
export function validateArray(
  name: string,
  value: unknown,
  max: number,
  expected: string,
): unknown[] {
  refuseRevokedProxy(name, value);
  if (!Array.isArray(value)) throw invalidType(name, expected, value);
  const length = (value as unknown[]).length;
  if (length > max) throw outOfRange(`${name}.length`, `at most ${max}`, length);
  const items: unknown[] = [];
  for (let i = 0; i < length; i++) {
    const item = (value as unknown[])[i];
    refuseRevokedProxy(`${name}[${i}]`, item);
    items.push(item);
  }
  return items;
}

export function validateStringArray(name: string, value: unknown, max: number): string[] {
  return validateArray(name, value, max, 'an array of strings').map((item, i) =>
    validateString(`${name}[${i}]`, item),
  );
}

/** The longest name a did-you-mean is worked out for: the edit distance costs the product of the lengths. */
const MAX_SUGGESTED_LENGTH = 64;

/** The candidate nearest to a misspelt `name`, or undefined for a name too long to be a misspelling of any. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  return name.length > MAX_SUGGESTED_LENGTH ? undefined : closest(name, [...candidates]);
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

/**
 * An `exitSignal` option: undefined keeps `fallback`, null or 0 means none
 * (0), else a signal number. Whether the signal is safe for Node to receive
 * depends on Node's dispositions at the time of the clone, so spawn and
 * clone check that then (exit-signal.ts).
 */
export function exitSignalOption(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === null || value === 0) return 0;
  return validateSignal('options.exitSignal', value);
}
