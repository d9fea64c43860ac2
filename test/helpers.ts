// Shared test helpers: resource counts read from /proc, C helpers built
// with the system compiler, and the library as a child process sees it.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(__dirname, '..');
/** The compiled package entry, as a consumer loads it (npm test builds it first). */
export const DIST = join(ROOT, 'dist', 'index.js');
export const CLI = join(ROOT, 'bin', 'linux-clone.js');

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export function mappingCount(): number {
  return readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n').length;
}

/** Mappings shaped like an exec child's stack: a 4 KiB PROT_NONE guard directly below 64 KiB rw-p, anonymous. */
export function execStackCount(): number {
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [range, perms, , , inode, path] = line.split(/\s+/);
      const [start, end] = range.split('-').map((hex) => BigInt(`0x${hex}`));
      return { start: start, end: end, perms, anonymous: inode === '0' && !path };
    });
  let count = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    const guard = maps[i];
    const stack = maps[i + 1];
    if (
      guard.perms === '---p' &&
      guard.anonymous &&
      guard.end - guard.start === 4096n &&
      stack.start === guard.end &&
      stack.perms === 'rw-p' &&
      stack.end - stack.start === 65536n
    ) {
      count++;
    }
  }
  return count;
}

/** Children of this process that are zombies (exited, not reaped). */
export function zombieChildren(): number[] {
  const zombies: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' && Number(ppid) === process.pid) zombies.push(Number(entry));
  }
  return zombies;
}

/**
 * zombieChildren() as source for the scripts tests run in a Node of their
 * own (needs `fs` in scope): defines `zombies()`, the count of this process's
 * unreaped children.
 */
export const ZOMBIES_SOURCE = `const zombies = () => fs.readdirSync('/proc').filter((e) => /^\\d+$/.test(e)).filter((e) => {
  try { const s = fs.readFileSync('/proc/' + e + '/stat', 'utf8'); const [state, ppid] = s.slice(s.lastIndexOf(')') + 2).split(' '); return state === 'Z' && Number(ppid) === process.pid; } catch { return false; }
}).length;`;

/** Whether `pid` runs: it exists and is not a zombie (an orphan's zombie waits for its new reaper). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Host pids of the processes whose command line is exactly `argv`. */
export function pidsRunning(argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

let helperDir: string | undefined;

/** Compiles a C program (or, with `flags` ['-shared', '-fPIC'], a library) with the system compiler; returns its path. */
export function compileC(name: string, source: string, flags: readonly string[] = []): string {
  helperDir ??= mkdtempSync(join(tmpdir(), 'linux-clone-test-'));
  const src = join(helperDir, `${name}.c`);
  const bin = join(helperDir, name);
  writeFileSync(src, source);
  execFileSync('cc', ['-O2', '-Wall', ...flags, '-o', bin, src], { stdio: 'pipe' });
  return bin;
}

/** Runs a script with node, the library at `lib`; returns stdout, throws on a non-zero exit. */
export function runNodeScript(
  script: string,
  opts: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {},
): string {
  const prefix = opts.prefix ?? [];
  const args = [
    ...prefix,
    process.execPath,
    '-e',
    `const lib = require(${JSON.stringify(DIST)});\n${script}`,
  ];
  const result = spawnSync(args[0], args.slice(1), {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    timeout: 60000,
  });
  if (result.status !== 0)
    throw new Error(
      `script failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`,
    );
  return result.stdout;
}

/** Runs argv under `strace -f`, tracing `syscalls` ('clone,clone3'): argv's result and strace's log. */
export function traceSyscalls(
  syscalls: string,
  argv: string[],
): { result: SpawnSyncReturns<string>; trace: string } {
  const log = join(mkdtempSync(join(tmpdir(), 'linux-clone-strace-')), 'trace');
  const result = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', `trace=${syscalls}`, ...argv], {
    encoding: 'utf8',
  });
  return { result, trace: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}

/** tsc --strict over `files` as a nodenext consumer in `cwd` sees them; tsc's output and status. */
export function typeCheckConsumer(
  files: string[],
  cwd: string,
): { status: number | null; output: string } {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  flags.push('--target', 'es2022', '--types', 'node');
  flags.push('--typeRoots', join(ROOT, 'node_modules', '@types'));
  const result = spawnSync(process.execPath, [tsc, ...flags, ...files], { cwd, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

export const isRoot = process.getuid?.() === 0;

/** `it`, or `it.skip` with the missing requirement in the name. */
export function itIf(condition: boolean, missing: string): jest.It {
  if (condition) return it;
  const skip = ((name: string, ...rest: unknown[]) =>
    (it.skip as (n: string, ...r: unknown[]) => void)(
      `${name} [skipped: needs ${missing}]`,
      ...rest,
    )) as unknown as jest.It;
  return skip;
}

/** `it` when every command is on PATH, else `it.skip` naming the missing ones ("needs bwrap, not installed"). */
export function itWith(...commands: string[]): jest.It {
  const missing = commands.filter((command) => !hasCommand(command));
  return itIf(missing.length === 0, `${missing.join(' and ')}, not installed`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The package's runtime dependencies, and theirs, as the checkout installed
 * them: name → directory (a nested copy before the hoisted one).
 */
export function runtimeDependencies(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (from: string) => {
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (found.has(name)) continue;
      const nested = join(from, 'node_modules', name);
      const location = existsSync(nested) ? nested : join(ROOT, 'node_modules', name);
      found.set(name, location);
      visit(location);
    }
  };
  visit(ROOT);
  return found;
}

/** Whether a user with no claim on `path` can reach and execute it: o+x on it and every directory above. */
function everyoneCanExecute(path: string): boolean {
  for (let at = realpathSync(path); ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (at === '/') return true;
  }
}

let unprivileged: { dist: string; node: string; cwd: string } | undefined;

/**
 * The library and Node as uid 65534 can reach them wherever the checkout
 * (and Node) lives, a private `mktemp -d` or /root included: dist/, the built
 * addon and the runtime dependencies, copied once into a world-readable
 * directory of the test's own (the user's tree is left as it is), and Node
 * itself when its own path is closed to others; removed when the process
 * exits. `dist` is DIST's twin; `cwd` a directory to run in (Node 26 refuses
 * to load modules from a working directory whose parents it cannot read).
 */
export function unprivilegedRuntime(): { dist: string; node: string; cwd: string } {
  if (unprivileged) return unprivileged;
  const dir = mkdtempSync(join(tmpdir(), 'linux-clone-unprivileged-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const built = join(ROOT, 'build', 'Release');
  mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
  for (const file of readdirSync(built).filter((f) => f.endsWith('.node')))
    copyFileSync(join(built, file), join(dir, 'build', 'Release', file));
  for (const [name, location] of runtimeDependencies())
    cpSync(location, join(dir, 'node_modules', name), { recursive: true });
  let node = process.execPath;
  if (!everyoneCanExecute(node)) {
    node = join(dir, 'node');
    copyFileSync(process.execPath, node);
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  unprivileged = { dist: join(dir, 'dist', 'index.js'), node, cwd: dir };
  return unprivileged;
}
