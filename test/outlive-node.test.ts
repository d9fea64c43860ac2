// Issue 14, item 7: a child can outlive Node. spawn's `killAtExit: false`
// leaves a child running when its Node environment ends (a normal exit,
// process.exit(), a worker's end), as child_process leaves its own; the
// default still kills and reaps it. Each case runs in a Node of its own and
// prints the pid of the `sleep` it left, which the test then looks at and
// kills in its cleanup.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { spawn } from '../lib';
import { DIST, pidsRunning, processRunning, ZOMBIES_SOURCE } from './helpers';

jest.setTimeout(60000);

/** Pids of sleeps a case left behind, killed after each case. */
const leftBehind: number[] = [];

afterEach(() => {
  for (const pid of leftBehind.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A `sleep 30` command line no other process has: its own marker as a second operand. */
function markedSleep(): string[] {
  return ['sleep', '30', `0.${randomBytes(4).readUInt32BE()}`];
}

/**
 * Runs `script` in a Node of its own with `lib` bound to the package and
 * `sleepArgs` to a marked sleep's argv; it prints the sleep's pid as its
 * first line. Returns the pid (recorded for the cleanup) and the rest.
 */
function runNode(script: string): { pid: number; lines: string[]; status: number | null } {
  const argv = markedSleep();
  const result = spawnSync(
    process.execPath,
    [
      '-e',
      `const lib = require(${JSON.stringify(DIST)});
const fs = require('node:fs');
const sleepArgs = ${JSON.stringify(argv.slice(1))};
${script}`,
    ],
    { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' },
  );
  leftBehind.push(...pidsRunning(argv));
  expect(result.stderr).toBe('');
  const lines = result.stdout.trim().split('\n');
  const pid = Number(lines[0]);
  expect(Number.isInteger(pid) && pid > 0).toBe(true);
  return { pid, lines: lines.slice(1), status: result.status };
}

describe('killAtExit (issue 14, item 7)', () => {
  it.each([
    ['the last handle ends', ''],
    ['process.exit()', 'process.exit(0);'],
  ])('false: the child runs on when %s; true (the default) kills it', (_, end) => {
    for (const killAtExit of [false, true, undefined]) {
      const options = JSON.stringify({ stdio: 'ignore', killAtExit });
      const { pid, status } = runNode(`
const child = lib.spawn('sleep', sleepArgs, ${options}).unref();
console.log(child.pid);
${end}`);
      expect(status).toBe(0);
      expect({ killAtExit, running: processRunning(pid) }).toEqual({
        killAtExit,
        running: killAtExit === false,
      });
    }
  });

  it("false: a worker's end leaves its child running; true kills it", () => {
    for (const killAtExit of [false, true]) {
      const options = JSON.stringify({ stdio: 'ignore', killAtExit });
      const { pid, lines } = runNode(`
const { Worker } = require('node:worker_threads');
const source = 'const lib = require(' + JSON.stringify(${JSON.stringify(DIST)}) + ');' +
  "require('node:worker_threads').parentPort.postMessage(lib.spawn('sleep', " +
  JSON.stringify(sleepArgs) + ", ${options.replace(/"/g, '\\"')}).pid); setInterval(() => {}, 1000);";
const worker = new Worker(source, { eval: true });
worker.once('message', async (pid) => {
  console.log(pid);
  await worker.terminate();
  let state = 'gone';
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {}
  console.log(state);
});`);
      // Seen from the process that made it, right after the worker ended:
      // 'S' sleeping, or gone: killed and reaped.
      expect({ killAtExit, lines }).toEqual({ killAtExit, lines: [killAtExit ? 'gone' : 'S'] });
      expect(processRunning(pid)).toBe(!killAtExit);
    }
  });

  it('false: a child that has already ended by the teardown is reaped, not left a zombie', () => {
    // The worker spawns `true`, waits (synchronously, so its pidfd poller
    // never runs) until the kernel shows it exited, and ends: only the
    // teardown can reap it.
    const { pid, lines } = runNode(`
${ZOMBIES_SOURCE}
const { Worker } = require('node:worker_threads');
const source = 'const lib = require(' + JSON.stringify(${JSON.stringify(DIST)}) + ');' +
  "const fs = require('node:fs');" +
  "const child = lib.spawn('true', [], { stdio: 'ignore', killAtExit: false });" +
  "const state = () => { try { const s = fs.readFileSync('/proc/' + child.pid + '/stat', 'utf8'); return s[s.lastIndexOf(')') + 2]; } catch { return 'gone'; } };" +
  "while (state() !== 'Z') {}" +
  "require('node:worker_threads').parentPort.postMessage(child.pid); process.exit(0);";
const worker = new Worker(source, { eval: true });
worker.once('message', (pid) => console.log(pid));
worker.once('exit', () => console.log(zombies()));`);
    expect(pid).toBeGreaterThan(0);
    expect(lines).toEqual(['0']);
  });

  it.each([
    ['a string', "'no'"],
    ['a number', '0'],
    ['null', 'null'],
    ['NaN', 'NaN'],
    ['an object', '{}'],
  ])('%s is refused with ERR_INVALID_ARG_TYPE before anything is cloned', (_, value) => {
    const argv = markedSleep();
    const killAtExit = eval(`(${value})`) as unknown;
    expect(() => spawn(argv[0], argv.slice(1), { killAtExit } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(pidsRunning(argv)).toEqual([]);
  });

  it('is read once, through a getter, and a getter that throws propagates its own error', () => {
    const argv = markedSleep();
    let reads = 0;
    const once = {
      stdio: 'ignore' as const,
      get killAtExit() {
        reads++;
        return reads === 1 ? true : 'changed';
      },
    };
    const child = spawn(argv[0], argv.slice(1), once);
    child.close();
    expect(reads).toBe(1);
    const mine = new Error('mine');
    const throwing = {
      get killAtExit(): boolean {
        throw mine;
      },
    };
    let thrown: unknown;
    try {
      spawn(argv[0], argv.slice(1), throwing);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(mine);
    expect(pidsRunning(argv)).toEqual([]);
  });

  it('Object.prototype.killAtExit = false does not let a child outlive Node', () => {
    const { pid, status } = runNode(`
Object.prototype.killAtExit = false;
const child = lib.spawn('sleep', sleepArgs, { stdio: 'ignore' }).unref();
console.log(child.pid);`);
    expect(status).toBe(0);
    expect(processRunning(pid)).toBe(false);
  });
});

/** The process group and session of `pid`, from /proc/PID/stat. */
function groupAndSession(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(pgrp), Number(session)];
}

describe('detached (issue 14, item 7)', () => {
  const DETACHED = JSON.stringify({ stdio: 'ignore', detached: true });

  it.each([
    ['the last handle ends', ''],
    ['process.exit()', 'process.exit(0);'],
  ])(
    'with unref(): Node exits when %s, and the child runs on in a session of its own',
    (_, end) => {
      const { pid, status } = runNode(`
const child = lib.spawn('sleep', sleepArgs, ${DETACHED}).unref();
console.log(child.pid);
${end}`);
      expect(status).toBe(0);
      expect(processRunning(pid)).toBe(true);
      expect(groupAndSession(pid)).toEqual([pid, pid]);
      expect(groupAndSession(pid)[1]).not.toBe(groupAndSession(process.pid)[1]);
    },
  );

  it('a terminated worker leaves its detached child running', () => {
    const { pid, lines } = runNode(`
const { Worker } = require('node:worker_threads');
const source = 'const lib = require(' + JSON.stringify(${JSON.stringify(DIST)}) + ');' +
  "require('node:worker_threads').parentPort.postMessage(lib.spawn('sleep', " +
  JSON.stringify(sleepArgs) + ", ${DETACHED.replace(/"/g, '\\"')}).pid); setInterval(() => {}, 1000);";
const worker = new Worker(source, { eval: true });
worker.once('message', async (pid) => {
  console.log(pid);
  await worker.terminate();
  console.log('terminated');
});`);
    expect(lines).toEqual(['terminated']);
    expect(processRunning(pid)).toBe(true);
    expect(groupAndSession(pid)).toEqual([pid, pid]);
  });

  it('without unref(), Node waits for it, as child_process does', () => {
    const { lines, status } = runNode(`
const child = lib.spawn('true', [], ${DETACHED});
console.log(child.pid);
child.wait().then((exit) => console.log('waited', exit.exitCode));`);
    expect(status).toBe(0);
    expect(lines).toEqual(['waited 0']);
  });

  it('killAtExit: true still kills it at exit, in its own session', () => {
    const options = JSON.stringify({ stdio: 'ignore', detached: true, killAtExit: true });
    const { pid, lines, status } = runNode(`
const child = lib.spawn('sleep', sleepArgs, ${options}).unref();
const stat = fs.readFileSync('/proc/' + child.pid + '/stat', 'utf8');
console.log(child.pid);
console.log(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3] === String(child.pid));`);
    expect(status).toBe(0);
    expect(lines).toEqual(['true']);
    expect(processRunning(pid)).toBe(false);
  });

  it('setsid: false with it is ERR_INCOMPATIBLE_OPTION_PAIR, before anything is cloned', () => {
    const argv = markedSleep();
    expect(() => spawn(argv[0], argv.slice(1), { detached: true, setsid: false })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INCOMPATIBLE_OPTION_PAIR' }),
    );
    expect(pidsRunning(argv)).toEqual([]);
  });

  it.each([
    ['a string', "'yes'"],
    ['a number', '1'],
    ['null', 'null'],
    ['NaN', 'NaN'],
    ['a boxed boolean', 'new Boolean(true)'],
  ])('%s is refused with ERR_INVALID_ARG_TYPE before anything is cloned', (_, value) => {
    const argv = markedSleep();
    const detached = eval(`(${value})`) as unknown;
    expect(() => spawn(argv[0], argv.slice(1), { detached } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(pidsRunning(argv)).toEqual([]);
  });

  it('Object.prototype.detached = true neither detaches a child nor lets it outlive Node', () => {
    const { pid, lines } = runNode(`
Object.prototype.detached = true;
const child = lib.spawn('sleep', sleepArgs, { stdio: 'ignore' }).unref();
const stat = fs.readFileSync('/proc/' + child.pid + '/stat', 'utf8');
console.log(child.pid);
console.log(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3] === String(child.pid));`);
    expect(lines).toEqual(['false']);
    expect(processRunning(pid)).toBe(false);
  });
});
