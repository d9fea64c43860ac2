// Issue 14, item 1: an environment that ends (a worker terminated,
// process.exit on the main thread) while children are made, awaited or
// running must neither abort Node (FATAL ERROR napi_throw, exit 134) nor
// leave a child behind. Each case runs in a Node of its own.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { DIST } from './helpers';

jest.setTimeout(120000);
// Before the fix every round aborted; a handful proves it.
const ROUNDS = 4;

/** Processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker))
        found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Runs `main` in a Node of its own, after starting `workers` workers that run
 * `worker` (each posts 'ready' before its work starts); `main` ends the
 * process or terminates the workers. `lib` is the library in both.
 */
function runWithWorkers(worker: string, main: string, workers = 4) {
  const script = `
const lib = require(${JSON.stringify(DIST)});
const { Worker } = require('node:worker_threads');
const source = ${JSON.stringify(`const lib = require(${JSON.stringify(DIST)});
const { parentPort } = require('node:worker_threads');
parentPort.postMessage('ready');
${worker}`)};
const workers = [];
let ready = 0;
for (let i = 0; i < ${workers}; i++) {
  const w = new Worker(source, { eval: true });
  w.on('error', (e) => { console.error('worker error:', e); process.exitCode = 3; });
  w.once('message', () => { if (++ready === ${workers}) setTimeout(main, 100); });
  workers.push(w);
}
async function main() {
${main}
}`;
  return spawnSync(process.execPath, ['--expose-gc', '-e', script], {
    encoding: 'utf8',
    timeout: 60000,
  });
}

function expectCleanExit(result: ReturnType<typeof runWithWorkers>, marker: string): void {
  expect(result.stderr).not.toMatch(/FATAL ERROR/);
  expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
  expect(processesWith(marker)).toEqual([]);
}

const TERMINATE = `await Promise.all(workers.map((w) => w.terminate())); console.log('terminated');`;

describe('a worker terminated while it makes children (item 1)', () => {
  it.each(['terminate', 'process.exit'])(
    'spawn() in a loop, then %s: exit 0, no child left, 4 rounds',
    (end) => {
      for (let round = 0; round < ROUNDS; round++) {
        const marker = `lc-teardown-${randomBytes(6).toString('hex')}`;
        const result = runWithWorkers(
          `for (;;) lib.spawn('sleep', ['30', ${JSON.stringify(marker)}]);`,
          end === 'terminate' ? TERMINATE : 'process.exit(0);',
        );
        expectCleanExit(result, marker);
        if (end === 'terminate') expect(result.stdout).toContain('terminated');
      }
    },
  );

  it.each(['terminate', 'process.exit'])(
    'clone() of thread tasks in a loop, then %s: exit 0, 4 rounds',
    (end) => {
      for (let round = 0; round < ROUNDS; round++) {
        const result = runWithWorkers(
          `for (;;) lib.clone(lib.tasks.sleep(5), { flags: lib.presets.thread });`,
          end === 'terminate' ? TERMINATE : 'process.exit(0);',
        );
        expectCleanExit(result, 'lc-never-used');
      }
    },
  );
});

describe('teardown in every state of a child', () => {
  it('a worker terminated while it awaits a child: the child is ended and reaped', () => {
    const marker = `lc-teardown-${randomBytes(6).toString('hex')}`;
    const result = runWithWorkers(
      `lib.spawn('sleep', ['30', ${JSON.stringify(marker)}]).wait();`,
      TERMINATE,
    );
    expectCleanExit(result, marker);
  });

  it('a worker terminated while it awaits a running thread task', () => {
    const result = runWithWorkers(
      `lib.clone(lib.tasks.sleep(30000), { flags: lib.presets.thread }).wait();`,
      TERMINATE,
    );
    expectCleanExit(result, 'lc-never-used');
  });

  it('a worker terminated while a thread task it waits for synchronously runs', () => {
    // waitSync blocks the worker in native code: terminate() cannot reach
    // it until the task ends, and then the teardown must still be clean.
    const result = runWithWorkers(
      `lib.clone(lib.tasks.sleep(300), { flags: lib.presets.thread }).waitSync();
       for (;;) lib.clone(lib.tasks.sleep(5), { flags: lib.presets.thread }).waitSync();`,
      TERMINATE,
    );
    expectCleanExit(result, 'lc-never-used');
  });

  it('an unreferenced running Child is collected, then the process ends: no crash, no child left', () => {
    const marker = `lc-teardown-${randomBytes(6).toString('hex')}`;
    const result = runWithWorkers(
      `lib.spawn('sleep', ['30', ${JSON.stringify(marker)}]).unref();
       lib.clone(lib.tasks.sleep(30000), { flags: lib.presets.thread }).unref();
       for (let i = 0; i < 5; i++) globalThis.gc();`,
      `lib.spawn('sleep', ['30', ${JSON.stringify(marker)}]).unref();
       lib.clone(lib.tasks.spin(30000), { flags: lib.presets.thread }).unref();
       for (let i = 0; i < 5; i++) globalThis.gc();
       await new Promise((resolve) => setTimeout(resolve, 50));
       ${TERMINATE}`,
      1,
    );
    expectCleanExit(result, marker);
  });

  it('process.exit() while threads run tasks: exit 0 at once', () => {
    const result = runWithWorkers(
      `for (let i = 0; i < 8; i++) lib.clone(lib.tasks.spin(30000), { flags: lib.presets.thread });`,
      `for (let i = 0; i < 8; i++) lib.clone(lib.tasks.sleep(30000), { flags: lib.presets.thread });
       lib.clone(lib.tasks.spin(30000), { flags: lib.presets.thread });
       process.exit(0);`,
      2,
    );
    expectCleanExit(result, 'lc-never-used');
  });
});
