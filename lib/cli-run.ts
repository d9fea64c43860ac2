// linux-clone run: its switches translated into spawn's options, and the
// command run with Node's stdio until it exits.
import { constants } from 'node:os';
import { parseArgs } from 'node:util';

import type { CgroupOptions } from './cgroup-options';
import type { Child, ExitInfo } from './child';
import { number, shellStatus, UsageError } from './cli-usage';
import type {
  ContainerOptions,
  IdMapping,
  MountSpec,
  NamespaceName,
  RlimitValue,
} from './container-plan';
import { NAMESPACES } from './explain';
import { CloneFlags, type FlagName } from './flags';
import { NAMESPACE_LIST } from './namespaces';
import { spawn } from './spawn';
import type { SpawnOptions } from './spawn-plan';

/** The namespace switches' help lines, from the one namespace list. */
const NAMESPACE_HELP = NAMESPACE_LIST.map((ns) => {
  const line = `  ${ns.switch.padEnd(20)}new ${ns.name} namespace (CLONE_${ns.flag})`;
  return ns.name === 'net' ? `${line}; lo is brought up` : line;
}).join('\n');

const RUN_HELP = `Usage: linux-clone run [options] [--] CMD [ARGS...]

Runs CMD in a child made by clone3 (CLONE_VM|CLONE_VFORK|CLONE_PIDFD plus
your flags) with Node's stdio, and exits with its exit code, or 128+signal.

Options:
  --flags SPEC        extra clone flags in strace syntax, e.g. 'CLONE_NEWUTS|CLONE_NEWIPC'
${NAMESPACE_HELP}

Container setup (each implies the namespaces it needs):
  --map-root-user     map uid and gid 0 inside to yours outside (implies --user)
  --uid-map 'IN OUT N'  a uid_map line (repeatable; implies --user)
  --gid-map 'IN OUT N'  a gid_map line (repeatable; implies --user)
  --hostname NAME     hostname inside (implies --uts)
  --mount-proc        mount a proc of the new PID namespace at /proc (implies --pid --mount)
  --root DIR          pivot_root into DIR, the old root detached (implies --mount)
  --bind SRC:DST      bind-mount host SRC at DST inside (repeatable; implies --mount)
  --ro-bind SRC:DST   the same, read-only
  --tmpfs DIR         a tmpfs at DIR inside (repeatable; implies --mount)
  --monotonic-offset S  seconds added to CLOCK_MONOTONIC inside (implies --time)
  --boottime-offset S   seconds added to CLOCK_BOOTTIME inside (implies --time)
  --memory-max BYTES  run CMD in a new cgroup v2 with this memory.max
  --pids-max N        ... with this pids.max
  --cpu-max QUOTA[/PERIOD]  ... with this cpu.max, in microseconds
  --cgroup-path PATH  the new cgroup's path (absolute: in the v2 hierarchy;
                      relative: under linux-clone's own cgroup)
  --rlimit NAME=N[:HARD]  a resource limit, e.g. nofile=256 (repeatable)
  --no-new-privs      PR_SET_NO_NEW_PRIVS: setuid bits grant nothing
  --seccomp-deny LIST   comma-separated syscalls that fail with EPERM
  --enter PID         run CMD inside the namespaces of process PID (like nsenter)
  --ns LIST           the namespaces to enter, comma-separated (default: all of
                      ${NAMESPACES.join(',')} that PID does not share)

Process:
  --cwd DIR           working directory of CMD
  --env K=V           set a variable for CMD (repeatable)
  --clear-env         start CMD with only the --env variables
  --new-session       start CMD in a new session (setsid)
  --die-with-parent   SIGKILL CMD when linux-clone dies (PR_SET_PDEATHSIG); the
                      default
  --timeout MS        send SIGTERM after MS milliseconds, SIGKILL 1 s later
  --json              after CMD's output, print its result as one JSON line
  -h, --help          show this help

Every signal Node can listen to is passed on to CMD, except SIGCHLD and the
job-control ones (SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU).

Exit status: CMD's, or 128+signal if a signal ended it; 125 if the child
could not be made (a refused flag set names the kernel rule), 126 if CMD
could not be executed, 127 if it was not found, 2 for a usage error or an
option value the library refuses.
`;

/** Switches that imply namespaces. */
const IMPLIED_NAMESPACES: ReadonlyArray<[string, FlagName[]]> = [
  ['map-root-user', ['NEWUSER']],
  ['uid-map', ['NEWUSER']],
  ['gid-map', ['NEWUSER']],
  ['hostname', ['NEWUTS']],
  ['mount-proc', ['NEWPID', 'NEWNS']],
  ['root', ['NEWNS']],
  ['bind', ['NEWNS']],
  ['ro-bind', ['NEWNS']],
  ['tmpfs', ['NEWNS']],
  ['monotonic-offset', ['NEWTIME']],
  ['boottime-offset', ['NEWTIME']],
];

/** A namespace switch's option name: 'mount' for --mount. */
const switchName = (ns: (typeof NAMESPACE_LIST)[number]) => ns.switch.slice(2);

const RUN_OPTIONS = {
  ...(Object.fromEntries(
    NAMESPACE_LIST.map((ns) => [switchName(ns), { type: 'boolean' }]),
  ) as Record<string, { type: 'boolean' }>),
  flags: { type: 'string' },
  'map-root-user': { type: 'boolean' },
  'uid-map': { type: 'string', multiple: true },
  'gid-map': { type: 'string', multiple: true },
  hostname: { type: 'string' },
  'mount-proc': { type: 'boolean' },
  root: { type: 'string' },
  bind: { type: 'string', multiple: true },
  'ro-bind': { type: 'string', multiple: true },
  tmpfs: { type: 'string', multiple: true },
  'monotonic-offset': { type: 'string' },
  'boottime-offset': { type: 'string' },
  'memory-max': { type: 'string' },
  'pids-max': { type: 'string' },
  'cpu-max': { type: 'string' },
  'cgroup-path': { type: 'string' },
  rlimit: { type: 'string', multiple: true },
  'no-new-privs': { type: 'boolean' },
  'seccomp-deny': { type: 'string' },
  enter: { type: 'string' },
  ns: { type: 'string' },
  cwd: { type: 'string' },
  env: { type: 'string', multiple: true },
  'clear-env': { type: 'boolean' },
  'new-session': { type: 'boolean' },
  'die-with-parent': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Splits `[options] [--] CMD ARGS` at CMD, so CMD's own options stay its own. */
function splitCommand(args: readonly string[]): { options: string[]; command: string[] } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return { options: args.slice(0, i), command: args.slice(i + 1) };
    if (!arg.startsWith('-')) return { options: args.slice(0, i), command: args.slice(i) };
    const name = arg.replace(/^--?/, '').split('=')[0] as keyof typeof RUN_OPTIONS;
    if (!arg.includes('=') && RUN_OPTIONS[name]?.type === 'string') i++;
  }
  return { options: [...args], command: [] };
}

function runFlags(values: Record<string, unknown>): CloneFlags {
  let flags =
    typeof values.flags === 'string' ? CloneFlags.parse(values.flags) : new CloneFlags(0n);
  for (const ns of NAMESPACE_LIST) if (values[switchName(ns)]) flags = flags.with(ns.flag);
  for (const [option, implied] of IMPLIED_NAMESPACES)
    if (values[option] !== undefined) flags = flags.with(...implied);
  return flags;
}

function idMap(option: string, lines: string[]): IdMapping[] {
  return lines.map((line) => {
    const parts = line
      .trim()
      .split(/\s+/)
      .map((part) => number(option, part));
    if (parts.length !== 3)
      throw new UsageError(`--${option} takes 'INSIDE OUTSIDE COUNT', got ${JSON.stringify(line)}`);
    const [containerId, hostId, size] = parts as [number, number, number];
    return { containerId, hostId, size };
  });
}

function bindMounts(values: Record<string, unknown>): MountSpec[] {
  const mounts: MountSpec[] = [];
  for (const [option, readonly] of [
    ['bind', false],
    ['ro-bind', true],
  ] as const) {
    for (const pair of (values[option] as string[] | undefined) ?? []) {
      const colon = pair.indexOf(':');
      if (colon <= 0 || colon === pair.length - 1)
        throw new UsageError(`--${option} takes SRC:DST, got ${JSON.stringify(pair)}`);
      mounts.push({
        type: 'bind',
        source: pair.slice(0, colon),
        target: pair.slice(colon + 1),
        readonly,
      });
    }
  }
  for (const target of (values.tmpfs as string[] | undefined) ?? [])
    mounts.push({ type: 'tmpfs', target });
  return mounts;
}

function cgroupOption(values: Record<string, unknown>): CgroupOptions | undefined {
  const cgroup: CgroupOptions = {};
  if (typeof values['memory-max'] === 'string')
    cgroup.memoryMax =
      values['memory-max'] === 'max' ? 'max' : number('memory-max', values['memory-max']);
  if (typeof values['pids-max'] === 'string')
    cgroup.pidsMax = values['pids-max'] === 'max' ? 'max' : number('pids-max', values['pids-max']);
  if (typeof values['cpu-max'] === 'string') {
    const [quota, period] = values['cpu-max'].split('/');
    cgroup.cpuMax =
      quota === 'max'
        ? 'max'
        : {
            quota: number('cpu-max', quota),
            ...(period !== undefined && { period: number('cpu-max', period) }),
          };
  }
  if (typeof values['cgroup-path'] === 'string') cgroup.path = values['cgroup-path'];
  return Object.keys(cgroup).length > 0 ? cgroup : undefined;
}

function rlimits(lines: string[] | undefined): ContainerOptions['rlimits'] {
  if (lines === undefined) return undefined;
  const limits: Record<string, RlimitValue> = {};
  for (const line of lines) {
    const match = /^(\w+)=(\w+)(?::(\w+))?$/.exec(line);
    if (match === null)
      throw new UsageError(`--rlimit takes NAME=N or NAME=SOFT:HARD, got ${JSON.stringify(line)}`);
    const bound = (text: string) =>
      text === 'unlimited' || text === 'infinity' ? Infinity : number('rlimit', text);
    const soft = bound(match[2]);
    limits[match[1]] = match[3] === undefined ? soft : { soft, hard: bound(match[3]) };
  }
  return limits;
}

/** The container options the switches ask for. */
function containerOptions(values: Record<string, unknown>): ContainerOptions {
  const options: ContainerOptions = {};
  if (values['map-root-user']) options.mapRootUser = true;
  if (values['uid-map'] !== undefined)
    options.uidMap = idMap('uid-map', values['uid-map'] as string[]);
  if (values['gid-map'] !== undefined)
    options.gidMap = idMap('gid-map', values['gid-map'] as string[]);
  if (typeof values.hostname === 'string') options.hostname = values.hostname;
  if (values['mount-proc']) options.mountProc = true;
  if (typeof values.root === 'string') options.rootfs = values.root;
  const mounts = bindMounts(values);
  if (mounts.length > 0) options.mounts = mounts;
  const offsets: { monotonic?: number; boottime?: number } = {};
  if (typeof values['monotonic-offset'] === 'string')
    offsets.monotonic = number('monotonic-offset', values['monotonic-offset']);
  if (typeof values['boottime-offset'] === 'string')
    offsets.boottime = number('boottime-offset', values['boottime-offset']);
  if (Object.keys(offsets).length > 0) options.timeOffsets = offsets;
  const cgroup = cgroupOption(values);
  if (cgroup !== undefined) options.cgroup = cgroup;
  const limits = rlimits(values.rlimit as string[] | undefined);
  if (limits !== undefined) options.rlimits = limits;
  if (values['no-new-privs']) options.noNewPrivs = true;
  if (typeof values['seccomp-deny'] === 'string')
    options.seccomp = { deny: values['seccomp-deny'].split(',').filter(Boolean) };
  if (typeof values.enter === 'string') {
    const target = number('enter', values.enter);
    const namespaces =
      typeof values.ns === 'string'
        ? (values.ns.split(',').filter(Boolean) as NamespaceName[])
        : [...NAMESPACES];
    options.enter = { target, namespaces };
  } else if (values.ns !== undefined) {
    throw new UsageError('--ns needs --enter PID');
  }
  return options;
}

function runEnv(values: Record<string, unknown>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = values['clear-env'] ? {} : { ...process.env };
  for (const pair of (values.env as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes K=V, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function timeoutOption(text: string | undefined): number {
  if (text === undefined) return 0;
  const timeout = Number(text);
  if (!Number.isInteger(timeout) || timeout <= 0)
    throw new UsageError(`--timeout takes milliseconds, got ${text}`);
  return timeout;
}

/**
 * Signals not passed on: SIGKILL and SIGSTOP, which no process can catch;
 * SIGBUS, SIGFPE, SIGILL and SIGSEGV, which Node's docs say JS must not
 * listen to; SIGCHLD, the news of Node's own children; and the job-control
 * signals, so that a shell can still stop and resume the CLI (a terminal
 * sends them to its whole foreground group, the program included).
 */
const NOT_FORWARDED = new Set([
  'SIGKILL',
  'SIGSTOP',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGSEGV',
  'SIGCHLD',
  'SIGCONT',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
]);

/**
 * The signals passed on to the command: every other one Node can listen
 * to. Those it cannot (real-time signals, SIGSEGV) end Node, and with it the
 * command, which the CLI gives pdeathsig SIGKILL.
 */
const FORWARDED_SIGNALS = (Object.keys(constants.signals) as NodeJS.Signals[]).filter(
  (name) => !NOT_FORWARDED.has(name),
);

/**
 * Passes the signals meant for the command on to it. Listening starts
 * before the spawn: a signal that comes meanwhile is handled on the event
 * loop, once the child exists, instead of ending Node with the child left.
 */
function forwardSignals(): { to(child: Child): void; stop(): void } {
  let target: Child | undefined;
  const forward = (signal: NodeJS.Signals) => target?.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return {
    to: (child) => (target = child),
    stop: () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    },
  };
}

/** Waits for the command's exit; after `timeout` ms sends SIGTERM, then SIGKILL 1 s later. */
async function waitForCommand(
  child: Child,
  timeout: number,
): Promise<{ exit: ExitInfo; timedOut: boolean }> {
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer =
    timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          killTimer = setTimeout(() => child.kill('SIGKILL'), 1000);
        }, timeout)
      : undefined;
  try {
    return { exit: await child.wait(), timedOut };
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
  }
}

export async function runCommand(args: readonly string[]): Promise<number> {
  const { options, command } = splitCommand(args);
  const { values } = parseArgs({
    args: options,
    options: RUN_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const [file, ...rest] = command;
  if (file === undefined)
    throw new UsageError('run needs a command: linux-clone run [options] -- CMD [ARGS...]');
  const timeout = timeoutOption(values.timeout);
  const spawnOptions: SpawnOptions = {
    ...containerOptions(values),
    flags: runFlags(values),
    env: runEnv(values),
    stdio: 'inherit',
    ...(values.cwd !== undefined && { cwd: values.cwd }),
    ...(values['new-session'] && { setsid: true }),
    // The command never outlives the CLI, whatever ends it.
    pdeathsig: 'SIGKILL',
  };
  const forwarding = forwardSignals();
  let child: Child;
  let result: { exit: ExitInfo; timedOut: boolean };
  try {
    child = spawn(file, rest, spawnOptions);
    forwarding.to(child);
    result = await waitForCommand(child, timeout);
  } finally {
    forwarding.stop();
  }
  const { exit, timedOut } = result;
  if (values.json) {
    const result = { ...exit, timedOut, flags: child.flags.toString(), syscall: child.syscall };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  return shellStatus(exit);
}
