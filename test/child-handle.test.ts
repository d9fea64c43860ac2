// Issue 16: what a Child costs. Its promise is made only when someone
// waits; one poller per environment watches every child's pidfd; the
// handle's and the exit's numbers come in one typed array, made into
// objects in JS. Each claim is counted or compared, never timed.
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { clone, type ExitInfo, presets, type Rusage, spawn, type TaskProbe, tasks } from '../lib';
import { DIST, itWith, runNodeScript, traceSyscalls } from './helpers';

const BINDING = join(__dirname, '..', 'dist', 'binding.js');
/** Where a new handle's pid sits in the fields (native/handle_fields.h: after the exit's 29 slots). */
const HANDLE_PID = 29;

/** Runs `body` in a Node of its own with `promises()`: the promises made since the hook was enabled. */
function countingPromises(body: string): string {
  return runNodeScript(`
const { createHook } = require('node:async_hooks');
let made = 0;
const hook = createHook({ init(id, type) { if (type === 'PROMISE') made++; } });
const promises = () => made;
// Warm up: the first spawn and clone load the addon and compile their code.
lib.spawn('/bin/true', [], { stdio: 'ignore' }).waitSync();
lib.clone(lib.tasks.exit(0), { flags: lib.presets.thread }).waitSync();
hook.enable();
${body}`);
}

describe('the exit promise is made only when someone waits', () => {
  it('spawn and waitSync make no promise, with ignored or piped stdio', () => {
    const out = countingPromises(`
lib.spawn('/bin/true', [], { stdio: 'ignore' }).waitSync();
lib.spawn('/bin/true', [], { stdio: 'pipe' }).close();
lib.clone(lib.tasks.exit(0), { flags: lib.presets.thread }).waitSync();
console.log(promises());
hook.disable();`);
    expect(out.trim()).toBe('0');
  });

  it('a child nobody waits for makes none; wait() makes one, and wait() again the same', () => {
    const out = countingPromises(`
const child = lib.spawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
setTimeout(() => {
  const before = promises();
  const first = child.wait();
  const after = promises();
  hook.disable();
  first.then((exit) => console.log(before, after - before, child.wait() === first, exit.exitCode));
}, 300);`);
    expect(out.trim()).toBe('0 1 true 7');
  });

  it('a piped stdin is still closed once its child is gone, with nobody waiting', () => {
    const out = runNodeScript(`
const child = lib.spawn('/bin/true', [], { stdio: ['pipe', 'ignore', 'ignore'] });
child.stdin.on('close', () => console.log('stdin closed', child.exitInfo.exitCode));`);
    expect(out.trim()).toBe('stdin closed 0');
  });

  it('wait() after the exit resolves with the same exit as exitInfo', () => {
    const out = runNodeScript(`
const child = lib.spawn('/bin/sh', ['-c', 'kill -9 $$'], { stdio: 'ignore' });
child.waitSync();
child.wait().then((exit) => console.log(exit === child.exitInfo, exit.signal));`);
    expect(out.trim()).toBe('true SIGKILL');
  });
});

describe('one poller per environment watches every child', () => {
  /** epoll_ctl and ioctl calls of a Node that spawns and awaits `count` children after a first. */
  function pollerCalls(count: number): { epollCtl: number; ioctl: number } {
    const script = `const lib = require(${JSON.stringify(DIST)});
(async () => {
  await lib.spawn('/bin/true', [], { stdio: 'ignore' }).wait();
  for (let i = 0; i < ${count}; i++) await lib.spawn('/bin/true', [], { stdio: 'ignore' }).wait();
})();`;
    const { result, trace } = traceSyscalls('epoll_ctl,ioctl', [process.execPath, '-e', script]);
    expect(result.status).toBe(0);
    const calls = (name: string) =>
      trace.split('\n').filter((line) => new RegExp(`^\\d+ +${name}\\(`).test(line)).length;
    return { epollCtl: calls('epoll_ctl'), ioctl: calls('ioctl') };
  }

  itWith('strace')('a child costs two epoll_ctl calls (add, remove) and no ioctl', () => {
    const few = pollerCalls(2);
    const many = pollerCalls(12);
    // Ten more children: a uv_poll each made about six epoll_ctl and an ioctl.
    expect(many.epollCtl - few.epollCtl).toBe(20);
    expect(many.ioctl - few.ioctl).toBe(0);
  });

  it('many children at once, more than one batch of events: each gets its own exit', async () => {
    const children = Array.from({ length: 70 }, (_, i) =>
      spawn('/bin/sh', ['-c', `exit ${i}`], { stdio: 'ignore' }),
    );
    const exits = await Promise.all(children.map((child) => child.wait()));
    expect(exits.map((exit) => exit.exitCode)).toEqual(children.map((_, i) => i));
    expect(exits.map((exit) => exit.pid)).toEqual(children.map((child) => child.pid));
  });

  it('seventy children ended before the loop looks: one wake-up, more than one batch', () => {
    const out = runNodeScript(`
const fs = require('node:fs');
const children = Array.from({ length: 70 }, (_, i) =>
  lib.spawn('/bin/sh', ['-c', 'exit ' + i], { stdio: 'ignore' }));
// Hold the loop until every one is a zombie, so all are ready at once.
const zombie = (pid) => fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0] === 'Z';
while (!children.every((c) => zombie(c.pid))) {}
Promise.all(children.map((c) => c.wait())).then((exits) =>
  console.log(exits.every((exit, i) => exit.exitCode === i && exit.pid === children[i].pid)));`);
    expect(out.trim()).toBe('true');
  });

  it('a ref()ed child keeps Node running while an unref()ed one does not', () => {
    const out = runNodeScript(`
const long = lib.spawn('sleep', ['30'], { stdio: 'ignore' }).unref();
const short = lib.spawn('sleep', ['0.3'], { stdio: 'ignore' });
process.on('exit', () => console.log(short.exitInfo?.exitCode, long.exitInfo));`);
    expect(out.trim()).toBe('0 null');
  });

  it('a child unref()ed, then one spawned ref()ed: Node waits for the second alone', () => {
    const out = runNodeScript(`
const first = lib.spawn('sleep', ['30'], { stdio: 'ignore' }).unref();
setTimeout(() => {
  const second = lib.spawn('/bin/sh', ['-c', 'sleep 0.2; exit 3'], { stdio: 'ignore' });
  process.on('exit', () => console.log(second.exitInfo?.exitCode, first.exitInfo));
}, 50);`);
    expect(out.trim()).toBe('3 null');
  });

  it('every child unref()ed: Node exits at once, and ref() again keeps it', () => {
    const out = runNodeScript(`
const children = [0, 1, 2].map(() => lib.spawn('sleep', ['30'], { stdio: 'ignore' }).unref());
const kept = lib.spawn('sleep', ['0.2'], { stdio: 'ignore' }).unref().ref();
process.on('exit', () => console.log(children.map((c) => c.exitInfo), kept.exitInfo?.exitCode));`);
    expect(out.trim()).toBe('[ null, null, null ] 0');
  });

  it('a worker ended while its children run, another still spawning: each reaps its own', () => {
    const out = runNodeScript(`
const { Worker } = require('node:worker_threads');
const source = \`const lib = require(\${JSON.stringify(${JSON.stringify(DIST)})});
const { parentPort } = require('node:worker_threads');
const children = [0, 1, 2].map(() => lib.spawn('sleep', ['30'], { stdio: 'ignore' }));
parentPort.postMessage(children.map((c) => c.pid));\`;
const worker = new Worker(source, { eval: true });
worker.once('message', async (pids) => {
  const mine = lib.spawn('/bin/sh', ['-c', 'exit 5'], { stdio: 'ignore' });
  await worker.terminate();
  const exit = await mine.wait();
  const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
  console.log(exit.exitCode, alive.length);
});`);
    expect(out.trim()).toBe('5 0');
  });
});

describe('the handle and the exit come through one array of numbers, built in JS', () => {
  const EXIT_KEYS = ['pid', 'exitCode', 'signal', 'coreDumped', 'rusage', 'elapsedMs'];
  const RUSAGE_KEYS = [
    'userCPUTime',
    'systemCPUTime',
    'maxRSS',
    'minorPageFault',
    'majorPageFault',
    'fsRead',
    'fsWrite',
    'voluntaryContextSwitches',
    'involuntaryContextSwitches',
  ];

  function expectShape(exit: ExitInfo, keys: string[]): void {
    expect(Object.keys(exit)).toEqual(keys);
    expect(Object.keys(exit.rusage)).toEqual(RUSAGE_KEYS);
    for (const key of RUSAGE_KEYS) {
      const n = exit.rusage[key as keyof Rusage];
      expect(Number.isInteger(n) && n >= 0).toBe(true);
    }
    expect(exit.elapsedMs).toBeGreaterThan(0);
  }

  it('an exit code, from wait() and from waitSync(): the same fields', async () => {
    const waited = spawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
    const exit = await waited.wait();
    expectShape(exit, EXIT_KEYS);
    expect(exit).toMatchObject({ pid: waited.pid, exitCode: 7, signal: null, coreDumped: false });
    const synced = spawn('/bin/sh', ['-c', 'exit 255'], { stdio: 'ignore' });
    const syncExit = synced.waitSync();
    expectShape(syncExit, EXIT_KEYS);
    expect(syncExit).toMatchObject({ pid: synced.pid, exitCode: 255, signal: null });
    expect(synced.exitInfo).toBe(syncExit);
  });

  it('a signal, and a core dump', () => {
    const killed = spawn('sleep', ['30'], { stdio: 'ignore' });
    killed.kill('SIGKILL');
    expect(killed.waitSync()).toMatchObject({
      exitCode: null,
      signal: 'SIGKILL',
      coreDumped: false,
    });
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-core-'));
    try {
      const dumped = spawn('/bin/sh', ['-c', 'ulimit -c unlimited; kill -SEGV $$'], {
        stdio: 'ignore',
        cwd: dir,
      }).waitSync();
      expectShape(dumped, EXIT_KEYS);
      expect(dumped).toMatchObject({ exitCode: null, signal: 'SIGSEGV', coreDumped: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rusage counts what the child did', () => {
    const exit = spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'], {
      stdio: 'ignore',
    }).waitSync();
    expect(exit.rusage.userCPUTime + exit.rusage.systemCPUTime).toBeGreaterThan(0);
    expect(exit.rusage.maxRSS).toBeGreaterThan(0);
    expect(exit.rusage.minorPageFault).toBeGreaterThan(0);
  });

  it('task results: a number, a signed and an unsigned bigint, a probe, a cancel', async () => {
    const KEYS = [...EXIT_KEYS, 'value'];
    const sum = clone(tasks.sumArray(Float64Array.from([1.5, 2.25]))).waitSync();
    expectShape(sum, KEYS);
    expect(sum.value).toBe(3.75);
    const signed = BigInt64Array.from([-(2n ** 62n), -(2n ** 62n), 1n]);
    expect(clone(tasks.sumArray(signed), { flags: presets.thread }).waitSync().value).toBe(
      -(2n ** 63n) + 1n,
    );
    const unsigned = BigUint64Array.from([2n ** 64n - 2n, 1n]);
    expect((await clone(tasks.sumArray(unsigned)).wait()).value).toBe(2n ** 64n - 1n);
    const child = clone(tasks.probe(), { flags: presets.thread.with('SETTLS'), tls: 'new' });
    const probe = child.waitSync();
    const seen = probe.value as TaskProbe;
    expect(Object.keys(seen)).toEqual([
      'pid',
      'tid',
      'tgid',
      'ppid',
      'uid',
      'gid',
      'threadPointer',
      'stackPointer',
    ]);
    expect(seen).toMatchObject({ pid: process.pid, tid: child.pid, tgid: process.pid });
    expect(seen.threadPointer).toBe(child.tls);
    expect(typeof seen.stackPointer).toBe('bigint');
    const sleeper = clone(tasks.sleep(30000), { flags: presets.thread });
    sleeper.kill('SIGTERM');
    const cancelled = sleeper.waitSync();
    expectShape(cancelled, EXIT_KEYS);
    expect(cancelled).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(clone(tasks.exit(9)).waitSync()).toMatchObject({ exitCode: 9, signal: null });
  });

  it('the native handle carries no properties, and its exit callback gets no object', () => {
    const out = runNodeScript(`
const { addon } = require(${JSON.stringify(BINDING)});
const binding = addon();
const plan = { file: '/bin/sh', argv: ['/bin/sh', '-c', 'exit 4'], envp: [], stdio: ['ignore', 'ignore', 'ignore'],
  flags: 0x4000n | 0x100n | 0x1000n, exitSignal: 17, pdeathsig: 0, setsid: false };
let args;
const handle = binding.spawn(plan, (...given) => { args = given; });
const pid = binding.fields[${HANDLE_PID}];
const returned = handle.waitSync();
console.log(Object.keys(handle).length, returned, args.length, binding.fields[0] === pid, binding.fields[1]);`);
    expect(out.trim()).toBe('0 undefined 0 true 4');
  });

  it("the handle's pid, pidfd, flags, syscall and stdio ends are the kernel's", () => {
    const child = spawn('/bin/cat', [], { stdio: ['pipe', 'pipe', 'ignore', 'pipe'] });
    try {
      // Our child (its cmdline may still be empty: a vfork parent runs on
      // while exec sets the new program's arguments up).
      expect(readFileSync(`/proc/${child.pid}/status`, 'utf8')).toMatch(
        new RegExp(`^PPid:\\s+${process.pid}$`, 'm'),
      );
      expect(readlinkSync(`/proc/self/fd/${child.pidfd}`)).toBe('anon_inode:[pidfd]');
      expect(child.flags.has('PIDFD')).toBe(true);
      expect(['clone3', 'clone']).toContain(child.syscall);
      expect(child.stdio.map((s) => s === null)).toEqual([false, false, true, false]);
      expect(child.tls).toBeNull();
    } finally {
      child.close();
    }
  });
});
