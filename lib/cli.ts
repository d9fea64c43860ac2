// The linux-clone command: dispatches to run, explain, probe and bench, and
// turns their errors into messages and exit statuses.
import { benchCommand } from './cli-bench';
import { runCommand } from './cli-run';
import { sharingCommand } from './cli-sharing';
import { UsageError } from './cli-usage';
import { CloneError } from './clone-error';

const MAIN_HELP = `Usage: linux-clone <command> [options]

Commands:
  run       run a program in a child made by clone3 with the flags you choose
  explain   what a flag set shares, from the kernel's rules
  probe     what a flag set shares, measured by a real child
  bench     fork against thread spawn and the rest, measured on this host

Run 'linux-clone <command> --help' for a command's options.
`;

/**
 * The codes of a refused option value: the command line asked for something
 * no call could do, so it is a usage error (2), like a malformed switch. A
 * flag set the kernel would refuse stays 125, as a child that could not be made.
 */
const BAD_OPTION_CODES = new Set([
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_OUT_OF_RANGE',
  'ERR_NAMESPACE_REQUIRED',
  'ERR_INCOMPATIBLE_OPTION_PAIR',
  'ERR_UNKNOWN_SIGNAL',
]);

function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || BAD_OPTION_CODES.has(code))
  );
}

function exitStatusForError(error: unknown): number {
  if (error instanceof CloneError && error.syscall === 'execve')
    return error.code === 'ENOENT' ? 127 : 126;
  return 125;
}

/** Runs the CLI with `args` (process.argv without node and the script); resolves to the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      process[command === undefined ? 'stderr' : 'stdout'].write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'run') return await runCommand(rest);
    if (command === 'explain' || command === 'probe') return await sharingCommand(command, rest);
    if (command === 'bench') return await benchCommand(rest);
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (error) {
    process.stderr.write(`linux-clone: ${(error as Error).message}\n`);
    if (isUsageError(error)) {
      process.stderr.write("Run 'linux-clone --help' for usage.\n");
      return 2;
    }
    return exitStatusForError(error);
  }
}
