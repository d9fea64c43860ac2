// Faults: children killed, execs that fail, descriptors and processes run
// out, the parent killed or exiting with children alive. Each gives a coded
// error or a documented end, and nothing leaks. Limits are lowered by the
// test itself, in a Node of its own.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { clone, spawn, tasks } from '../lib';
import {
  DIST,
  itWith,
  openFdCount,
  processRunning,
  sleep,
  unprivilegedRuntime,
  zombieChildren,
  ZOMBIES_SOURCE,
} from './helpers';

/**
 * Runs `body` in a fresh Node started through `prefix` (prlimit, setpriv);
 * returns its JSON output. `runtime` is the library, the Node and the
 * directory it runs with (unprivilegedRuntime() for a prefix that drops root).
 */
function inNode(
  prefix: string[],
  body: string,
  runtime = { dist: DIST, node: process.execPath, cwd: process.cwd() },
): Record<string, unknown> {
  const script = `const lib = require(${JSON.stringify(runtime.dist)});
const fs = require('node:fs');
const fds = () => fs.readdirSync('/proc/self/fd').length;
${ZOMBIES_SOURCE}
(async () => { ${body} })().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(3); });`;
  const argv = [...prefix, runtime.node, '-e', script];
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: runtime.cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0)
    throw new Error(`fault script failed (${result.status ?? result.signal}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('faults', () => {
  it('a child SIGKILLed mid-run is reported as SIGKILL and leaves nothing behind', async () => {
    const fds = openFdCount();
    for (let i = 0; i < 20; i++) {
      const program = spawn('/bin/sleep', ['10'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const task = clone(tasks.sleep(10_000));
      await sleep(5);
      program.kill('SIGKILL');
      task.kill('SIGKILL');
      expect(await program.wait()).toMatchObject({ signal: 'SIGKILL', exitCode: null });
      expect(await task.wait()).toMatchObject({ signal: 'SIGKILL', exitCode: null });
      for (const stream of program.stdio) stream?.destroy();
    }
    await sleep(20);
    expect(zombieChildren()).toEqual([]);
    expect(openFdCount()).toBe(fds);
  });

  it('execve failing with ENOENT, EACCES, ENOEXEC and E2BIG: coded, reaped, no leak, 50 times each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-faults-'));
    const notExecutable = join(dir, 'plain');
    writeFileSync(notExecutable, 'data');
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]));
    chmodSync(garbage, 0o755);
    const huge = 'x'.repeat(200_000); // over MAX_ARG_STRLEN (128 KiB)
    const cases: Array<[string, string[], string]> = [
      [join(dir, 'missing'), [], 'ENOENT'],
      [notExecutable, [], 'EACCES'],
      [garbage, [], 'ENOEXEC'],
      ['/bin/true', [huge], 'E2BIG'],
    ];
    const fds = openFdCount();
    for (const [file, args, code] of cases) {
      for (let i = 0; i < 50; i++) {
        expect(() => spawn(file, args, { fastPath: i % 2 === 0 })).toThrow(
          expect.objectContaining({ code, syscall: 'execve', hint: expect.any(String) }),
        );
      }
    }
    expect(zombieChildren()).toEqual([]);
    expect(openFdCount()).toBe(fds);
  });

  itWith('prlimit')(
    'EMFILE: with RLIMIT_NOFILE lowered, spawning with pipes fails with a coded error, and the descriptors come back',
    () => {
      const seen = inNode(
        ['prlimit', '--nofile=64', '--'],
        `const warm = lib.spawn('/bin/true'); // Node's first stdio stream opens a /dev/null it keeps
       await warm.wait();
       for (const s of warm.stdio) s?.destroy();
       await new Promise((r) => setTimeout(r, 20));
       const children = [];
       let error;
       const before = fds();
       try { for (let i = 0; i < 100; i++) children.push(lib.spawn('/bin/sleep', ['5'])); } catch (e) { error = { code: e.code, syscall: e.syscall, name: e.name }; }
       for (const c of children) c.close();
       await Promise.all(children.map((c) => c.wait()));
       await new Promise((r) => setTimeout(r, 50));
       return { error, spawned: children.length, leaked: fds() - before };`,
      );
      expect(seen.error).toMatchObject({ code: 'EMFILE', name: 'CloneError' });
      expect(seen.spawned).toBeGreaterThan(0);
      expect(seen.leaked).toBe(0);
    },
  );

  itWith('setpriv', 'prlimit')(
    'EAGAIN: with a process limit lowered, clone3 fails with a coded error and a hint, and every child is reaped',
    () => {
      // RLIMIT_NPROC binds only without root: the script runs as nobody.
      const seen = inNode(
        [
          'setpriv',
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          'prlimit',
          '--nproc=40',
          '--',
        ],
        `const children = [];
       let error;
       try { for (let i = 0; i < 100; i++) children.push(lib.spawn('/bin/sleep', ['5'], { stdio: 'ignore' })); } catch (e) { error = { code: e.code, syscall: e.syscall, hint: e.hint }; }
       for (const c of children) c.kill('SIGKILL');
       await Promise.all(children.map((c) => c.wait()));
       return { error, spawned: children.length, zombies: zombies() };`,
        unprivilegedRuntime(),
      );
      expect(seen.error).toMatchObject({
        code: 'EAGAIN',
        syscall: 'clone3',
        hint: expect.stringMatching(/RLIMIT_NPROC/),
      });
      expect(seen.spawned).toBeGreaterThan(0);
      expect(seen.zombies).toBe(0);
    },
  );

  it('the Node parent SIGKILLed: its children with pdeathsig die, and none is left behind', async () => {
    const script = `const lib = require(${JSON.stringify(DIST)});
      const kids = [];
      for (let i = 0; i < 5; i++) kids.push(lib.spawn('/bin/sleep', ['60'], { pdeathsig: 'SIGKILL', stdio: 'ignore' }));
      kids.push(lib.spawn('/bin/sleep', ['60'], { pdeathsig: 'SIGKILL', stdio: 'ignore', flags: 'CLONE_NEWPID|CLONE_NEWNS', mountProc: true }));
      console.log(JSON.stringify(kids.map((k) => k.pid)));
      setInterval(() => {}, 1000);`;
    const node = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    node.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    while (!out.includes('\n')) await sleep(5);
    const pids = JSON.parse(out) as number[];
    expect(pids.every(processRunning)).toBe(true);
    node.kill('SIGKILL');
    expect(await node.wait()).toMatchObject({ signal: 'SIGKILL' });
    for (let i = 0; i < 100 && pids.some(processRunning); i++) await sleep(10);
    expect(pids.filter(processRunning)).toEqual([]);
  });

  it('process.exit with live children: they are SIGKILLed and reaped at exit (documented in the README)', () => {
    const script = `const lib = require(${JSON.stringify(DIST)});
      const program = lib.spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
      const task = lib.clone(lib.tasks.sleep(60000));
      console.log(JSON.stringify([program.pid, task.pid]));
      process.exit(0);`;
    const result = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(0);
    const pids = JSON.parse(result.stdout) as number[];
    // Reaped, not merely killed: no zombie waits for a reaper (pid 1 here may never reap).
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
