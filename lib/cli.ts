// The linux-clone command.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { CgroupOptions } from './cgroup-options';
import type { Child, ExitInfo } from './child';
import { CloneError } from './clone-error';
import type {
  ContainerOptions,
  IdMapping,
  MountSpec,
  NamespaceName,
  RlimitValue,
} from './container-plan';
import { explain, NAMESPACES, RESOURCES, type SharingReport } from './explain';
import { CloneFlags, type FlagName, presets } from './flags';
import { NAMESPACE_LIST } from './namespaces';
import { probe } from './sharing-probe';
import { MAX_SIGNAL, signalNumber } from './signals';
import { spawn } from './spawn';

const MAIN_HELP = `Usage: linux-clone <command> [options]

Commands:
  run       run a program in a child made by clone3 with the flags you choose
  explain   what a flag set shares, from the kernel's rules
  probe     what a flag set shares, measured by a real child
  bench     fork against thread spawn and the rest, measured on this host

Run 'linux-clone <command> --help' for a command's options.
`;

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
  --die-with-parent   SIGKILL CMD when linux-clone dies (PR_SET_PDEATHSIG)
  --timeout MS        send SIGTERM after MS milliseconds, SIGKILL 1 s later
  --json              after CMD's output, print its result as one JSON line
  -h, --help          show this help

Exit status: CMD's, or 128+signal if a signal ended it; 125 if the child
could not be made (a refused flag set names the kernel rule), 126 if CMD
could not be executed, 127 if it was not found, 2 for a usage error.
`;

const EXPLAIN_HELP = `Usage: linux-clone explain [--json] [SPEC]

Says what a child cloned with SPEC (strace syntax, e.g. 'CLONE_VM|CLONE_FS|SIGCHLD',
or a preset: thread, vfork, process, container) shares with its parent: memory,
fs info, fd table, signal handlers, thread group, SysV semaphore undo, parent,
and each namespace, with a sentence for each and the kernel rules SPEC breaks.
Without SPEC it shows the four presets, from most shared to most isolated:
thread -> vfork -> process -> container.

Options:
  --json       print the report as JSON
  -h, --help   show this help
`;

const PROBE_HELP = `Usage: linux-clone probe [--json] [SPEC]

Measures what SPEC shares: clones a real child with it, which leaves a mark on
each resource; the parent looks at its own side, then puts everything back.
It agrees with 'linux-clone explain'. Without SPEC it measures the four presets
(thread, vfork, process, container).
CLONE_PARENT is refused; namespaces other than a user namespace need root.

Options:
  --json       print the report as JSON
  -h, --help   show this help
`;

const BENCH_HELP = `Usage: linux-clone bench [--quick] [--iterations N] [--json] [--out DIR] [NAME...]

Runs the benchmarks (all, or the NAMEs: spawn, threads, sumarray, clonecost,
containers) and prints their tables: ratios against C posix_spawn, raw clone
and pthreads, child_process and worker_threads, all measured in this run.
The C baselines are compiled with the system's cc.

Options:
  --quick             fewer iterations and heap sizes (about 25 s)
  --iterations N      iterations per measurement
  --json              instead of tables, collect the results in DIR/all.json
                      and print its path
  --out DIR           where NAME.json (and NAME.svg, with vega-lite installed)
                      are written; default ./linux-clone-bench
  -h, --help          show this help
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

class UsageError extends Error {}

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

function number(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${option} takes a number, got ${JSON.stringify(text)}`);
  return n;
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

function exitStatusForError(error: unknown): number {
  if (error instanceof CloneError && error.syscall === 'execve')
    return error.code === 'ENOENT' ? 127 : 126;
  return 125;
}

function timeoutOption(text: string | undefined): number {
  if (text === undefined) return 0;
  const timeout = Number(text);
  if (!Number.isInteger(timeout) || timeout <= 0)
    throw new UsageError(`--timeout takes milliseconds, got ${text}`);
  return timeout;
}

/**
 * Waits for the command's exit, passing on the signals meant for it and,
 * after `timeout` ms, sending SIGTERM, then SIGKILL 1 s later.
 */
async function waitForCommand(
  child: Child,
  timeout: number,
): Promise<{ exit: ExitInfo; timedOut: boolean }> {
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const forwarded: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const signal of forwarded) process.on(signal, forward);
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
    for (const signal of forwarded) process.off(signal, forward);
  }
}

async function runCommand(args: readonly string[]): Promise<number> {
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
  const child = spawn(file, rest, {
    ...containerOptions(values),
    flags: runFlags(values),
    env: runEnv(values),
    stdio: 'inherit',
    ...(values.cwd !== undefined && { cwd: values.cwd }),
    ...(values['new-session'] && { setsid: true }),
    ...(values['die-with-parent'] && { pdeathsig: 'SIGKILL' }),
  });
  const { exit, timedOut } = await waitForCommand(child, timeout);
  if (values.json) {
    const result = { ...exit, timedOut, flags: child.flags.toString(), syscall: child.syscall };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  return shellStatus(exit);
}

/** A shell's exit status for the child's exit: its code, or 128+signal. */
function shellStatus(exit: ExitInfo): number {
  if (exit.signal !== null) return 128 + (signalNumber(exit.signal) ?? MAX_SIGNAL);
  return exit.exitCode ?? 125;
}

const SCALE = ['thread', 'vfork', 'process', 'container'] as const;

/** A flag set from SPEC: strace syntax, or a preset's name. */
function specFlags(spec: string): CloneFlags {
  return Object.hasOwn(presets, spec)
    ? presets[spec as keyof typeof presets]
    : CloneFlags.parse(spec);
}

function paint(text: string, value: string, color: boolean): string {
  if (!color) return text;
  const code = value === 'shared' ? 32 : value === 'copied' ? 33 : 36; // green, yellow, cyan for 'new'
  return `\u001b[${code}m${text}\u001b[0m`;
}

function reportTable(report: SharingReport, color: boolean): string {
  const rows = [...RESOURCES, ...NAMESPACES].map((key) => {
    const value = report[key];
    return `  ${key.padEnd(15)} ${paint(value.padEnd(7), value, color)} ${report.sentences[key]}`;
  });
  const broken = report.brokenRules.map((rule) => `  breaks: ${rule}`);
  return [`${report.flags}`, ...rows, ...broken].join('\n');
}

function scaleTable(reports: SharingReport[], color: boolean): string {
  const width = 11;
  const header = `  ${''.padEnd(15)} ${SCALE.map((name) => name.padEnd(width)).join('')}`;
  const rows = [...RESOURCES, ...NAMESPACES].map(
    (key) =>
      `  ${key.padEnd(15)} ${reports.map((r) => paint(r[key].padEnd(width), r[key], color)).join('')}`,
  );
  const flags = SCALE.map((name, i) => `  ${name.padEnd(10)} ${reports[i].flags}`);
  return [header, ...rows, '', ...flags].map((line) => line.trimEnd()).join('\n');
}

async function sharingCommand(
  command: 'explain' | 'probe',
  args: readonly string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(command === 'explain' ? EXPLAIN_HELP : PROBE_HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`${command} takes one SPEC; quote it if it has spaces`);
  const measure =
    command === 'explain'
      ? (f: CloneFlags) => Promise.resolve(explain(f))
      : (f: CloneFlags) => probe(f);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const [spec] = positionals;
  if (spec === undefined) {
    const reports: SharingReport[] = [];
    for (const name of SCALE) reports.push(await measure(presets[name]));
    process.stdout.write(`${values.json ? JSON.stringify(reports) : scaleTable(reports, color)}\n`);
    return 0;
  }
  const report = await measure(specFlags(spec));
  process.stdout.write(`${values.json ? JSON.stringify(report) : reportTable(report, color)}\n`);
  return 0;
}

async function benchCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean' },
      iterations: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const suite = join(__dirname, '..', 'benchmarks', 'run.js');
  if (!existsSync(suite)) throw new Error(`the benchmarks are missing from this copy (${suite})`);
  const forward = [...positionals];
  if (values.quick) forward.push('--quick');
  if (values.json) forward.push('--json');
  if (values.iterations !== undefined)
    forward.push('--iterations', String(number('iterations', values.iterations)));
  const results = resolve(values.out ?? 'linux-clone-bench');
  const child = spawn(process.execPath, [suite, ...forward], {
    stdio: 'inherit',
    env: { ...process.env, LINUX_CLONE_BENCH_RESULTS: results },
  });
  return shellStatus(await child.wait());
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
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`linux-clone: ${(error as Error).message}\n`);
    if (usage) {
      process.stderr.write("Run 'linux-clone --help' for usage.\n");
      return 2;
    }
    return exitStatusForError(error);
  }
}
