// The exit-signal check, at clone time: the kernel sends the exit signal to
// Node when the child ends, so one that would end or stop Node, a fault
// signal, or one Node or the C library uses itself is refused. It asks the
// addon for Node's current disposition, so it belongs to the effect ring.
import { addon } from './binding';
import { codedError } from './errors';
import { signalName, SIGNALS } from './signals';

/** Signals whose default action leaves a process running. */
const HARMLESS_BY_DEFAULT: ReadonlySet<number> = new Set([
  SIGNALS.SIGCHLD,
  SIGNALS.SIGURG,
  SIGNALS.SIGWINCH,
  SIGNALS.SIGCONT,
]);
/**
 * Never an exit signal: SIGKILL and SIGSTOP cannot be handled; a fault signal
 * sent by the kernel on a child's exit reaches V8's fault handler, which
 * takes it for a crash; 32 and 33 are the C library's own (thread
 * cancellation, setuid broadcast).
 */
const NEVER: ReadonlySet<number> = new Set([
  SIGNALS.SIGKILL,
  SIGNALS.SIGSTOP,
  SIGNALS.SIGSEGV,
  SIGNALS.SIGBUS,
  SIGNALS.SIGFPE,
  SIGNALS.SIGILL,
  SIGNALS.SIGTRAP,
  SIGNALS.SIGSYS,
  SIGNALS.SIGABRT,
  32,
  33,
]);
const NODE_HANDLES: ReadonlySet<number> = new Set([
  SIGNALS.SIGINT,
  SIGNALS.SIGTERM,
  SIGNALS.SIGUSR1,
]);
/** The addon's dispositions: 0 default, 1 ignored, 2 a handler. */
const IGNORED = 1;
const HANDLED = 2;

/**
 * Refuses exit signal `n` (0 for none passes) with ERR_UNSAFE_EXIT_SIGNAL
 * when Node would not survive it as things stand: for the others, the
 * program installs a handler first.
 */
export function refuseUnsafeExitSignal(n: number): void {
  if (n === 0 || HARMLESS_BY_DEFAULT.has(n)) return;
  const disposition = NEVER.has(n) ? 0 : addon().probeSupport.currentDisposition(n);
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
}
