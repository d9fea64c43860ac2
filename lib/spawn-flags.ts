// The flags an exec child is cloned with: the caller's, less what the policy
// table refuses for spawn, plus the fast path's, the pidfd and the exit
// signal. A spawn loop passes the same few options every time, so what is
// worked out from plain values (a string, a bigint, a CloneFlags, booleans)
// is kept, a few dozen inputs at most, and computed once per distinct input.
// Plan ring.
import type { ContainerPlan } from './container-plan';
import { codedError } from './errors';
import { CloneFlags, type FlagsLike } from './flags';
import {
  brokenRefusal,
  describeRefusal,
  FAST_PATH_FLAGS,
  OWN_MEMORY_OPTIONS,
  SPAWN_ADDED,
} from './policy';
import { SIGNALS } from './signals';
import { exitSignalOption, validateBoolean } from './validate';

/** The options the flags depend on. */
export interface FlagOptions {
  flags?: FlagsLike;
  fastPath?: boolean;
  exitSignal?: unknown;
}

/** The most inputs each cache holds; past it the oldest goes. */
export const FLAG_CACHE_LIMIT = 64;

/** A Map of at most FLAG_CACHE_LIMIT entries, oldest out first. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= FLAG_CACHE_LIMIT) cache.delete(cache.keys().next().value as K);
  cache.set(key, value);
  return value;
}

/** Requested flags by `options.flags`: undefined, a string, a bigint or a CloneFlags (immutable). */
const requestedByInput = new Map<unknown, CloneFlags>();
/** Spawn flags by the requested bits, then by their exit signal, fastPath and exitSignal; without container options. */
const spawnByRequested = new Map<bigint, Map<string, CloneFlags>>();

/** The flags the caller asked for, with those the policy table refuses for spawn refused. */
function computeRequested(input: FlagsLike | undefined): CloneFlags {
  const flags = input === undefined ? new CloneFlags(0n) : CloneFlags.from(input);
  const refusal = brokenRefusal('spawn', (flag) => flags.has(flag));
  if (refusal !== undefined) {
    throw codedError(new RangeError(describeRefusal('spawn', refusal)), 'ERR_INVALID_CLONE_FLAGS');
  }
  return flags;
}

/**
 * The flags the caller asked for, refused when spawn may not use one.
 * Throws a coded TypeError or RangeError on bad input (never kept).
 */
export function requestedFlags(options: FlagOptions): CloneFlags {
  const input = options.flags;
  const known = requestedByInput.get(input);
  if (known !== undefined) return known;
  const flags = computeRequested(input);
  // An input that stands for one flag set forever: none, a primitive, or a
  // CloneFlags itself (immutable; from() hands it back). An array may change.
  const lasting =
    input === undefined ||
    typeof input === 'string' ||
    typeof input === 'bigint' ||
    (input as unknown) === flags;
  return lasting ? remember(requestedByInput, input, flags) : flags;
}

/** "a, b or c" */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** The flags passed to the kernel for an exec child, worked out anew. */
function computeSpawnFlags(
  options: FlagOptions,
  requested: CloneFlags,
  container: ContainerPlan | null,
): CloneFlags {
  let flags = requested;
  const needsOwnMemory = container?.needsOwnMemory === true;
  const fastPath =
    options.fastPath === undefined
      ? !needsOwnMemory
      : validateBoolean('options.fastPath', options.fastPath);
  // The fast path: the child borrows Node's address space (CLONE_VM) and this
  // thread sleeps (CLONE_VFORK) until the child execs, so no page table is
  // copied whatever Node's RSS. It is dropped where Node must act while the
  // child waits (id maps, time offsets), or where the child enters
  // namespaces, which a process sharing Node's memory may not.
  if (fastPath && needsOwnMemory) {
    throw codedError(
      new TypeError(
        `options.fastPath cannot be true with ${orList(OWN_MEMORY_OPTIONS)}: the child must not share Node's memory`,
      ),
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    );
  }
  if (fastPath) flags = flags.with(...FAST_PATH_FLAGS);
  if (container !== null)
    flags = flags.without(...container.removeFlags).with(...container.addFlags);
  flags = flags.with(...SPAWN_ADDED);
  const exitSignal = exitSignalOption(
    options.exitSignal,
    flags.exitSignalNumber || SIGNALS.SIGCHLD,
  );
  return flags.withExitSignal(exitSignal).check();
}

/** Whether `value` is written whole by String(): undefined, null, a boolean, a number or a string. */
function isPlain(value: unknown): value is undefined | null | boolean | number | string {
  return (
    value === undefined ||
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  );
}

/** The requested exit signal, fastPath and exitSignal as one key; undefined when one is not plain. */
function optionsKey(options: FlagOptions, requested: CloneFlags): string | undefined {
  const { fastPath, exitSignal } = options;
  if (!isPlain(fastPath) || !isPlain(exitSignal)) return undefined;
  const typed = (value: unknown) => `${value === null ? 'null' : typeof value}:${String(value)}`;
  return `${requested.exitSignalNumber}|${typed(fastPath)}|${typed(exitSignal)}`;
}

/**
 * The flags passed to the kernel for an exec child: `requested` (from
 * requestedFlags), the fast path's unless `fastPath` is false or the
 * container needs its own memory, the container's, CLONE_PIDFD and the exit
 * signal; checked against the kernel's rules. Kept per distinct input for a
 * spawn without container options.
 */
export function spawnFlags(
  options: FlagOptions,
  requested: CloneFlags,
  container: ContainerPlan | null,
): CloneFlags {
  const key = container === null ? optionsKey(options, requested) : undefined;
  if (key === undefined) return computeSpawnFlags(options, requested, container);
  let byOptions = spawnByRequested.get(requested.bits);
  const known = byOptions?.get(key);
  if (known !== undefined) return known;
  const flags = computeSpawnFlags(options, requested, container);
  if (byOptions === undefined) byOptions = remember(spawnByRequested, requested.bits, new Map());
  return remember(byOptions, key, flags);
}
