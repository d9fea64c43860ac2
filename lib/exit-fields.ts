// The numbers the addon hands over for a new handle and for an exit, in one
// Float64Array per environment (native/handle_fields.h writes this layout),
// made into the objects JS sees, once. A 64-bit integer sits in a slot as
// its bits, read through a BigInt64Array or BigUint64Array over the buffer.
import type { NativeExit, Rusage } from './addon-types';

const NAMESPACE_COUNT = 8;

const PID = 0;
const EXIT_CODE = 1;
const SIGNAL = 2;
const CORE_DUMPED = 3;
const RUSAGE = 4;
const ELAPSED_MS = RUSAGE + 9;
const IS_TASK = ELAPSED_MS + 1;
const CANCELLED = IS_TASK + 1;
const VALUE_KIND = CANCELLED + 1;
const VALUE = VALUE_KIND + 1;
const DETAIL = VALUE + 1;
const EXIT_END = DETAIL + 3 + NAMESPACE_COUNT;

const HANDLE_PID = EXIT_END;
const HANDLE_PIDFD = HANDLE_PID + 1;
const HANDLE_FLAGS = HANDLE_PIDFD + 1;
const HANDLE_EXIT_SIGNAL = HANDLE_FLAGS + 1;
const HANDLE_CLONE3 = HANDLE_EXIT_SIGNAL + 1;
const HANDLE_HAS_TLS = HANDLE_CLONE3 + 1;
const HANDLE_TLS = HANDLE_HAS_TLS + 1;
const HANDLE_STDIO_COUNT = HANDLE_TLS + 1;
const HANDLE_STDIO = HANDLE_STDIO_COUNT + 1;

/** What VALUE and DETAIL hold (fields::ValueOut). */
const VALUE_NUMBER = 1;
const VALUE_BIGINT64 = 2;
const VALUE_BIGUINT64 = 3;
const VALUE_PROBE = 4;
const VALUE_SHARING = 5;

/** One environment's field array, seen as doubles, signed and unsigned 64-bit integers. */
export class FieldViews {
  readonly numbers: Float64Array;
  readonly signed: BigInt64Array;
  readonly bits: BigUint64Array;

  constructor(numbers: Float64Array) {
    this.numbers = numbers;
    this.signed = new BigInt64Array(numbers.buffer, numbers.byteOffset, numbers.length);
    this.bits = new BigUint64Array(numbers.buffer, numbers.byteOffset, numbers.length);
  }
}

let cached: FieldViews | undefined;

/** The views of `numbers`, made once (each environment loads this module and the addon once). */
export function fieldViews(numbers: Float64Array): FieldViews {
  if (cached?.numbers !== numbers) cached = new FieldViews(numbers);
  return cached;
}

/** What a new handle reports. */
export interface HandleFields {
  pid: number;
  pidfd: number | null;
  flags: bigint;
  exitSignal: number;
  syscall: 'clone3' | 'clone';
  tls: bigint | null;
  /** Exec children: our end of each stdio slot, or null. */
  stdio: Array<number | null>;
}

/** The fields of the handle the addon has just made. */
export function readHandle({ numbers, bits }: FieldViews): HandleFields {
  const pidfd = numbers[HANDLE_PIDFD];
  const stdio: Array<number | null> = [];
  for (let i = 0; i < numbers[HANDLE_STDIO_COUNT]; i++) {
    const fd = numbers[HANDLE_STDIO + i];
    stdio.push(fd >= 0 ? fd : null);
  }
  return {
    pid: numbers[HANDLE_PID],
    pidfd: pidfd >= 0 ? pidfd : null,
    flags: bits[HANDLE_FLAGS],
    exitSignal: numbers[HANDLE_EXIT_SIGNAL],
    syscall: numbers[HANDLE_CLONE3] === 1 ? 'clone3' : 'clone',
    tls: numbers[HANDLE_HAS_TLS] === 1 ? bits[HANDLE_TLS] : null,
    stdio,
  };
}

function readRusage(numbers: Float64Array): Rusage {
  return {
    userCPUTime: numbers[RUSAGE],
    systemCPUTime: numbers[RUSAGE + 1],
    maxRSS: numbers[RUSAGE + 2],
    minorPageFault: numbers[RUSAGE + 3],
    majorPageFault: numbers[RUSAGE + 4],
    fsRead: numbers[RUSAGE + 5],
    fsWrite: numbers[RUSAGE + 6],
    voluntaryContextSwitches: numbers[RUSAGE + 7],
    involuntaryContextSwitches: numbers[RUSAGE + 8],
  };
}

function readValue({ numbers, signed, bits }: FieldViews): NativeExit['value'] {
  switch (numbers[VALUE_KIND]) {
    case VALUE_NUMBER:
      return numbers[VALUE];
    case VALUE_BIGINT64:
      return signed[VALUE];
    case VALUE_BIGUINT64:
      return bits[VALUE];
    case VALUE_PROBE:
      return {
        pid: numbers[DETAIL],
        tid: numbers[DETAIL + 1],
        tgid: numbers[DETAIL],
        ppid: numbers[DETAIL + 2],
        uid: numbers[DETAIL + 3],
        gid: numbers[DETAIL + 4],
        threadPointer: bits[DETAIL + 5],
        stackPointer: bits[DETAIL + 6],
      };
    case VALUE_SHARING:
      return {
        tgid: numbers[DETAIL],
        ppid: numbers[DETAIL + 1],
        semopErrno: numbers[DETAIL + 2],
        nsInodes: Array.from(numbers.subarray(DETAIL + 3, DETAIL + 3 + NAMESPACE_COUNT)),
      };
    default:
      return undefined;
  }
}

/** The exit the addon has just written, read before anything else can write it. */
export function readExit(views: FieldViews): NativeExit {
  const { numbers } = views;
  const signal = numbers[SIGNAL];
  const exit: NativeExit = {
    pid: numbers[PID],
    exitCode: signal === 0 ? numbers[EXIT_CODE] : null,
    signal,
    coreDumped: numbers[CORE_DUMPED] === 1,
    rusage: readRusage(numbers),
    elapsedMs: numbers[ELAPSED_MS],
  };
  if (numbers[IS_TASK] === 1) {
    exit.cancelled = numbers[CANCELLED] === 1;
    const value = readValue(views);
    if (value !== undefined) exit.value = value;
  }
  return exit;
}
