// CloneFlags: the flags word of clone/clone3, with its exit signal, as an
// immutable value. Parses and prints strace's syntax, and knows the rules
// under which the kernel answers EINVAL.
import { release } from 'node:os';

import { codedError, type CodedError, invalidThis, invalidType, invalidValue } from './errors';
import { nearestName, refuseRevokedProxy, validateArray } from './validate';
import { knownSignalNames, MAX_SIGNAL, signalName, signalNumber } from './signals';

/** Every clone flag of Linux 6.x, by the name after `CLONE_`. */
export const FLAG_BITS = {
  /** New time namespace (Linux 5.6). clone3 only: in clone's word this byte is the exit signal. */
  NEWTIME: 0x80n,
  /** Share the address space: writes on either side are seen by the other. */
  VM: 0x100n,
  /** Share root, working directory and umask. */
  FS: 0x200n,
  /** Share the file descriptor table. */
  FILES: 0x400n,
  /** Share the table of signal handlers (needs CLONE_VM). */
  SIGHAND: 0x800n,
  /** Return a pidfd for the child (Linux 5.2). */
  PIDFD: 0x1000n,
  /** If the parent is being traced, trace the child too. */
  PTRACE: 0x2000n,
  /** Suspend the parent until the child execs or exits. */
  VFORK: 0x4000n,
  /** The child's parent is the caller's parent. */
  PARENT: 0x8000n,
  /** Same thread group: a thread (needs CLONE_SIGHAND). */
  THREAD: 0x10000n,
  /** New mount namespace. */
  NEWNS: 0x20000n,
  /** Share System V semaphore undo values. */
  SYSVSEM: 0x40000n,
  /** Set the thread pointer (FS base on x86_64) to the given TLS. */
  SETTLS: 0x80000n,
  /** Store the child's TID in the parent's memory. */
  PARENT_SETTID: 0x100000n,
  /** Clear the TID word and wake its futex when the child exits. */
  CHILD_CLEARTID: 0x200000n,
  /** Ignored by the kernel since 2.6.2; refused with CLONE_PIDFD. */
  DETACHED: 0x400000n,
  /** A tracer cannot force CLONE_PTRACE on the child. */
  UNTRACED: 0x800000n,
  /** Store the child's TID in the child's memory. */
  CHILD_SETTID: 0x1000000n,
  /** New cgroup namespace. */
  NEWCGROUP: 0x2000000n,
  /** New UTS namespace: hostname and domain name. */
  NEWUTS: 0x4000000n,
  /** New IPC namespace: System V IPC and POSIX message queues. */
  NEWIPC: 0x8000000n,
  /** New user namespace. */
  NEWUSER: 0x10000000n,
  /** New PID namespace: the child is its pid 1. */
  NEWPID: 0x20000000n,
  /** New network namespace. */
  NEWNET: 0x40000000n,
  /** Share the I/O context (I/O scheduling). */
  IO: 0x80000000n,
  /** Reset every handled signal to its default in the child (clone3 only, Linux 5.5). */
  CLEAR_SIGHAND: 0x100000000n,
  /** Start the child in the cgroup given by an fd (clone3 only, Linux 5.7). */
  INTO_CGROUP: 0x200000000n,
} as const;

/** A flag's name without the `CLONE_` prefix: 'VM', 'NEWPID', … */
export type FlagName = keyof typeof FLAG_BITS;
/** A flag ('VM' or 'CLONE_VM') or an exit signal ('SIGCHLD'). */
export type FlagToken = FlagName | `CLONE_${FlagName}` | `SIG${string}`;
/** Anything the API accepts as a flag set. A bigint is read as clone(2)'s word: its low byte is the exit signal. */
export type FlagsLike = CloneFlags | string | bigint | readonly FlagToken[];

const ALL_BITS = Object.values(FLAG_BITS).reduce((a, b) => a | b, 0n);
const NAMES_BY_BIT = (Object.entries(FLAG_BITS) as [FlagName, bigint][]).sort((a, b) =>
  a[1] < b[1] ? -1 : 1,
);
const CSIGNAL = 0xffn;
/** The most names a flags array may hold: every flag and a signal, several times over. */
const MAX_FLAG_NAMES = 256;

/** A flag set the kernel would refuse with EINVAL, with the rule it breaks. */
export interface FlagRule {
  /** The rule in clone(2)'s words, or the kernel's where the man page is out of date. */
  rule: string;
  /** Whether `flags` breaks this rule. */
  broken(flags: CloneFlags): boolean;
}

let kernelVersion: readonly [number, number] | undefined;

/** Whether the running kernel is at least major.minor; os.release() is read at the first rule that asks, not at import. */
function kernelAtLeast(major: number, minor: number): boolean {
  kernelVersion ??= (() => {
    const [kernelMajor = 0, kernelMinor = 0] = release()
      .split('.')
      .map((part) => Number.parseInt(part, 10));
    return [kernelMajor, kernelMinor] as const;
  })();
  const [kernelMajor, kernelMinor] = kernelVersion;
  return kernelMajor > major || (kernelMajor === major && kernelMinor >= minor);
}

const both = (a: FlagName, b: FlagName) => (f: CloneFlags) => f.has(a) && f.has(b);

/** clone(2) ERRORS, the EINVAL entries that depend on the flags alone, as kernel/fork.c enforces them. */
export const FLAG_RULES: readonly FlagRule[] = [
  {
    rule: 'CLONE_SIGHAND was specified, but CLONE_VM was not',
    broken: (f) => f.has('SIGHAND') && !f.has('VM'),
  },
  {
    rule: 'CLONE_THREAD was specified, but CLONE_SIGHAND was not',
    broken: (f) => f.has('THREAD') && !f.has('SIGHAND'),
  },
  { rule: 'both CLONE_FS and CLONE_NEWNS were specified', broken: both('FS', 'NEWNS') },
  { rule: 'both CLONE_NEWUSER and CLONE_FS were specified', broken: both('NEWUSER', 'FS') },
  { rule: 'both CLONE_NEWIPC and CLONE_SYSVSEM were specified', broken: both('NEWIPC', 'SYSVSEM') },
  {
    // The man page adds CLONE_PARENT; the kernel has allowed it since 3.12.
    rule: 'one (or both) of CLONE_NEWPID or CLONE_NEWUSER and CLONE_THREAD were specified',
    broken: (f) => f.has('THREAD') && (f.has('NEWPID') || f.has('NEWUSER')),
  },
  {
    rule: 'CLONE_PIDFD was specified together with CLONE_DETACHED',
    broken: both('PIDFD', 'DETACHED'),
  },
  {
    rule: 'CLONE_PIDFD was specified together with CLONE_THREAD (allowed since Linux 6.9)',
    broken: (f) => !kernelAtLeast(6, 9) && f.has('PIDFD') && f.has('THREAD'),
  },
  {
    rule: 'CLONE_DETACHED was specified (clone3 refuses it; clone ignores it)',
    broken: (f) => f.has('DETACHED'),
  },
  {
    rule: 'both CLONE_CLEAR_SIGHAND and CLONE_SIGHAND were specified',
    broken: both('CLEAR_SIGHAND', 'SIGHAND'),
  },
  {
    rule: 'an exit signal was given together with CLONE_THREAD or CLONE_PARENT (clone3 needs exit_signal 0)',
    broken: (f) => f.exitSignalNumber !== 0 && (f.has('THREAD') || f.has('PARENT')),
  },
];

function flagError(message: string, code: string): CodedError<TypeError> {
  return codedError(new TypeError(message), code);
}

function parseToken(token: string): { bits: bigint; signal?: number } {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(token)) {
    const word = BigInt(token);
    const unknown = word & ~CSIGNAL & ~ALL_BITS;
    if (unknown)
      throw flagError(`0x${unknown.toString(16)} is not a clone flag`, 'ERR_UNKNOWN_CLONE_FLAG');
    const signal = Number(word & CSIGNAL);
    return signal ? { bits: word & ~CSIGNAL, signal } : { bits: word & ~CSIGNAL };
  }
  const upper = token.toUpperCase();
  // Flags first: CLONE_SIGHAND may be written SIGHAND.
  const name = (upper.startsWith('CLONE_') ? upper.slice(6) : upper) as FlagName;
  const bit = Object.hasOwn(FLAG_BITS, name) ? FLAG_BITS[name] : undefined;
  if (bit !== undefined) return { bits: bit };
  const signal = signalNumber(upper);
  if (signal !== undefined) return { bits: 0n, signal };
  const short = token.length > 40 ? `${token.slice(0, 40)}…` : token;
  if (upper.startsWith('SIG')) {
    const suggestion = nearestName(upper, knownSignalNames());
    throw flagError(
      `unknown signal ${short}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
      'ERR_UNKNOWN_SIGNAL',
    );
  }
  const suggestion = nearestName(
    `CLONE_${name}`,
    Object.keys(FLAG_BITS).map((n) => `CLONE_${n}`),
  );
  throw flagError(
    `unknown clone flag ${short}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
    'ERR_UNKNOWN_CLONE_FLAG',
  );
}

function fromTokens(tokens: readonly string[], source: string): CloneFlags {
  let bits = 0n;
  let signal = 0;
  for (const raw of tokens) {
    const token = raw.trim();
    if (token === '')
      throw flagError(`empty flag in ${JSON.stringify(source)}`, 'ERR_INVALID_CLONE_FLAGS_SYNTAX');
    const parsed = parseToken(token);
    bits |= parsed.bits;
    if (parsed.signal !== undefined) {
      if (signal !== 0 && signal !== parsed.signal) {
        throw flagError(
          `${JSON.stringify(source)} names two exit signals`,
          'ERR_INVALID_CLONE_FLAGS_SYNTAX',
        );
      }
      signal = parsed.signal;
    }
  }
  return new CloneFlags(bits, signal);
}

/**
 * An immutable clone flag set with its exit signal.
 *
 * `bits` holds the CLONE_* bits (64-bit, as clone3 takes them) and never the
 * exit signal, which clone3 passes separately.
 */
export class CloneFlags {
  /** The CLONE_* bits, without the exit signal. */
  readonly bits: bigint;
  /** The exit signal as a number, 0 for none. */
  readonly exitSignalNumber: number;
  /** Set by the constructor only: what tells a CloneFlags from an object made from its prototype, or a Proxy. */
  readonly #made = true;

  /** Whether `value` was made by this constructor (a Proxy or Object.create(CloneFlags.prototype) was not). */
  static #isMade(value: unknown): value is CloneFlags {
    return typeof value === 'object' && value !== null && #made in value;
  }

  /** Throws ERR_INVALID_THIS when a method is called on anything but a CloneFlags. */
  static #checkThis(value: unknown, member: string): void {
    if (!CloneFlags.#isMade(value)) throw invalidThis('CloneFlags', member);
  }

  /** Use {@link CloneFlags.of} or {@link CloneFlags.parse}. */
  constructor(bits: bigint, exitSignal = 0) {
    if (typeof bits !== 'bigint') throw invalidType('bits', 'a bigint', bits);
    if (bits & ~ALL_BITS)
      throw flagError(
        `0x${(bits & ~ALL_BITS).toString(16)} is not a clone flag`,
        'ERR_UNKNOWN_CLONE_FLAG',
      );
    if (!Number.isInteger(exitSignal) || exitSignal < 0 || exitSignal > MAX_SIGNAL) {
      throw codedError(
        new RangeError(`exit signal must be 0 to ${MAX_SIGNAL}, got ${exitSignal}`),
        'ERR_OUT_OF_RANGE',
      );
    }
    this.bits = bits;
    this.exitSignalNumber = exitSignal;
    Object.freeze(this);
  }

  /** A flag set from names: `CloneFlags.of('VM', 'FS', 'SIGCHLD')`. */
  static of(...names: FlagToken[]): CloneFlags {
    return fromTokens(names, names.join('|'));
  }

  /** strace's syntax: 'CLONE_VM|CLONE_FS|SIGCHLD', with or without spaces; numbers and hex too. '0' is the empty set. */
  static parse(text: string): CloneFlags {
    if (typeof text !== 'string') throw invalidType('flags', 'a string', text);
    return fromTokens(text.split('|'), text);
  }

  /** Any {@link FlagsLike} as a CloneFlags. */
  static from(value: FlagsLike): CloneFlags {
    if (CloneFlags.#isMade(value)) return value;
    refuseRevokedProxy('flags', value);
    if (typeof value === 'string') return CloneFlags.parse(value);
    if (typeof value === 'bigint') {
      if (value < 0n) throw invalidValue('flags', 'must not be negative', value);
      return fromTokens([`0x${value.toString(16)}`], `0x${value.toString(16)}`);
    }
    if (Array.isArray(value)) {
      const names = validateArray('flags', value, MAX_FLAG_NAMES, 'an array of flag names');
      names.forEach((item, i) => {
        if (typeof item !== 'string') throw invalidType(`flags[${i}]`, 'a flag name', item);
      });
      return fromTokens(names as string[], names.join('|'));
    }
    throw invalidType('flags', 'a CloneFlags, a string, a bigint or an array of flag names', value);
  }

  /** The exit signal's name, or null for none. */
  get exitSignal(): string | null {
    CloneFlags.#checkThis(this, 'exitSignal');
    return this.exitSignalNumber === 0 ? null : signalName(this.exitSignalNumber);
  }

  /** This set plus `names` (flags or an exit signal). */
  with(...names: FlagToken[]): CloneFlags {
    CloneFlags.#checkThis(this, 'with');
    const add = CloneFlags.of(...names);
    return new CloneFlags(this.bits | add.bits, add.exitSignalNumber || this.exitSignalNumber);
  }

  /** This set without `names`; naming the exit signal clears it. */
  without(...names: FlagToken[]): CloneFlags {
    CloneFlags.#checkThis(this, 'without');
    const remove = CloneFlags.of(...names);
    const keepSignal =
      remove.exitSignalNumber === 0 || remove.exitSignalNumber !== this.exitSignalNumber;
    return new CloneFlags(this.bits & ~remove.bits, keepSignal ? this.exitSignalNumber : 0);
  }

  /** This set with another exit signal (null or 0 for none). */
  withExitSignal(signal: string | number | null): CloneFlags {
    CloneFlags.#checkThis(this, 'withExitSignal');
    if (signal === null || signal === 0) return new CloneFlags(this.bits, 0);
    const n = typeof signal === 'number' ? signal : signalNumber(signal);
    if (n === undefined)
      throw invalidValue('exitSignal', 'must be a signal name such as "SIGCHLD"', signal);
    return new CloneFlags(this.bits, n);
  }

  /** Whether the set holds the flag, or has this exit signal. */
  has(name: FlagToken): boolean {
    CloneFlags.#checkThis(this, 'has');
    // On every spawn's path (the refusals, check()): look up, do not parse.
    const key = typeof name === 'string' && name.startsWith('CLONE_') ? name.slice(6) : name;
    if (Object.hasOwn(FLAG_BITS, key)) {
      const bit = FLAG_BITS[key as FlagName];
      return (this.bits & bit) === bit;
    }
    const probe = CloneFlags.of(name);
    return probe.exitSignalNumber === this.exitSignalNumber;
  }

  /** Same bits and same exit signal as `other`, in any {@link FlagsLike} form. */
  equals(other: FlagsLike): boolean {
    CloneFlags.#checkThis(this, 'equals');
    const that = CloneFlags.from(other);
    return that.bits === this.bits && that.exitSignalNumber === this.exitSignalNumber;
  }

  /** The flag names set, in ascending bit order. */
  names(): FlagName[] {
    CloneFlags.#checkThis(this, 'names');
    return NAMES_BY_BIT.filter(([, bit]) => this.bits & bit).map(([name]) => name);
  }

  /** strace's syntax, flags in ascending bit order, the exit signal last; '0' when empty. */
  toString(): string {
    CloneFlags.#checkThis(this, 'toString');
    const parts = this.names().map((name) => `CLONE_${name}`);
    if (this.exitSignalNumber !== 0) parts.push(signalName(this.exitSignalNumber));
    return parts.length === 0 ? '0' : parts.join('|');
  }

  /** The strace-syntax string, so JSON.stringify shows the flags as a person reads them. */
  toJSON(): string {
    CloneFlags.#checkThis(this, 'toJSON');
    return this.toString();
  }

  /** The rules of clone(2) this set breaks; empty when the kernel would take it. */
  brokenRules(): string[] {
    CloneFlags.#checkThis(this, 'brokenRules');
    return FLAG_RULES.filter((r) => r.broken(this)).map((r) => r.rule);
  }

  /** Throws a RangeError (code ERR_INVALID_CLONE_FLAGS) naming the first kernel rule this set breaks. */
  check(): this {
    CloneFlags.#checkThis(this, 'check');
    const [rule] = this.brokenRules();
    if (rule !== undefined) {
      const error = codedError(
        new RangeError(`${this.toString()}: clone would fail with EINVAL: ${rule}`),
        'ERR_INVALID_CLONE_FLAGS',
      );
      throw Object.assign(error, { rule, flags: this.toString() });
    }
    return this;
  }
}

/** Four flag sets from shared to isolated, each as real code uses it. */
export const presets = Object.freeze({
  /** glibc's pthread_create: share everything, join through the TID futex. */
  thread: CloneFlags.of(
    'VM',
    'FS',
    'FILES',
    'SIGHAND',
    'THREAD',
    'SYSVSEM',
    'SETTLS',
    'PARENT_SETTID',
    'CHILD_CLEARTID',
  ),
  /** glibc's fork: share nothing; the TID words keep glibc's cached TID right. */
  process: CloneFlags.of('CHILD_CLEARTID', 'CHILD_SETTID', 'SIGCHLD'),
  /** glibc's posix_spawn: borrow the parent's memory until exec, parent suspended. */
  vfork: CloneFlags.of('VM', 'VFORK', 'SIGCHLD'),
  /** Share nothing and isolate every namespace, as `unshare -Ucimnpu --net` does. */
  container: CloneFlags.of(
    'NEWNS',
    'NEWCGROUP',
    'NEWUTS',
    'NEWIPC',
    'NEWUSER',
    'NEWPID',
    'NEWNET',
    'SIGCHLD',
  ),
});
