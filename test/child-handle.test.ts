// Issue 16: what a Child costs. Its promise is made only when someone
// waits; one poller per environment watches every child's pidfd. Each claim
// is counted (promises made, syscalls made), never timed.
import { spawn } from '../lib';
import { DIST, itWith, runNodeScript, traceSyscalls } from './helpers';

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
