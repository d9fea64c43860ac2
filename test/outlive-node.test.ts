// Issue 14, item 7: a child can outlive Node. spawn's `killAtExit: false`
// leaves a child running when its Node environment ends (a normal exit,
// process.exit(), a worker's end), as child_process leaves its own; the
// default still kills and reaps it. Each case runs in a Node of its own and
// prints the pid of the `sleep` it left, which the test then looks at and
// kills in its cleanup.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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
