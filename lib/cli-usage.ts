// What the linux-clone commands share: the usage error, number switches,
// and the shell's exit status of a child's exit.
import type { ExitInfo } from './child';
import { MAX_SIGNAL, signalNumber } from './signals';

/** A mistake in the command line: reported with a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** A switch's value as a number; a UsageError when it is none. */
export function number(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${option} takes a number, got ${JSON.stringify(text)}`);
  return n;
}

/** A shell's exit status for the child's exit: its code, or 128+signal. */
export function shellStatus(exit: ExitInfo): number {
  if (exit.signal !== null) return 128 + (signalNumber(exit.signal) ?? MAX_SIGNAL);
  return exit.exitCode ?? 125;
}
