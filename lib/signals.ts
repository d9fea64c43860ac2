// Linux's signals, by name and number, as a static table: the numbers are
// the kernel's on x86_64 (and most Linux ports), whatever OS reads this file.
// The plan ring names and parses signals from here; nothing here asks the
// running process anything.

/** A signal by name ('SIGTERM') or number (1–64). */
export type SignalLike = NodeJS.Signals | `SIG${string}` | number;

/** Every signal name Node's os.constants.signals gives on Linux, with its number. */
const SIGNAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGQUIT', 3],
  ['SIGILL', 4],
  ['SIGTRAP', 5],
  ['SIGABRT', 6],
  ['SIGIOT', 6],
  ['SIGBUS', 7],
  ['SIGFPE', 8],
  ['SIGKILL', 9],
  ['SIGUSR1', 10],
  ['SIGSEGV', 11],
  ['SIGUSR2', 12],
  ['SIGPIPE', 13],
  ['SIGALRM', 14],
  ['SIGTERM', 15],
  ['SIGCHLD', 17],
  ['SIGSTKFLT', 16],
  ['SIGCONT', 18],
  ['SIGSTOP', 19],
  ['SIGTSTP', 20],
  ['SIGTTIN', 21],
  ['SIGTTOU', 22],
  ['SIGURG', 23],
  ['SIGXCPU', 24],
  ['SIGXFSZ', 25],
  ['SIGVTALRM', 26],
  ['SIGPROF', 27],
  ['SIGWINCH', 28],
  ['SIGIO', 29],
  ['SIGPOLL', 29],
  ['SIGPWR', 30],
  ['SIGSYS', 31],
]);
/** One name per number: the aliases SIGIOT and SIGPOLL give way to SIGABRT and SIGIO. */
const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  [...SIGNAL_NUMBERS]
    .filter(([name]) => name !== 'SIGIOT' && name !== 'SIGPOLL')
    .map(([n, v]) => [v, n]),
);
/** The kernel's first real-time signal; strace names the rest SIGRT_<n>. */
const SIGRTMIN = 32;
/** The highest signal number Linux has. */
export const MAX_SIGNAL = 64;

/** The signals the rest of the library names in its own code. */
export const SIGNALS = Object.freeze({
  SIGINT: 2,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGURG: 23,
  SIGWINCH: 28,
  SIGSYS: 31,
});

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

/** Every signal name the table knows, for suggestions. */
export function knownSignalNames(): string[] {
  return [...SIGNAL_NUMBERS.keys()];
}
