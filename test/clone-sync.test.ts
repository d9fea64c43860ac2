// cloneSync(task, options): clone(task, options).waitSync() in one call into
// the addon. Its result is the one waitSync gives, field for field, in every
// exit kind; its refusals are clone()'s, before anything is cloned; it
// leaves nothing behind (no fd, no zombie, no mapping), and a worker that
// runs it can be terminated, or the process exited, cleanly.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

import {
  clone,
  CloneFlags,
  cloneSync,
  type CloneOptions,
  type ExitInfo,
  presets,
  tasks,
  type Task,
  type TaskProbe,
} from '../lib';
import { addon } from '../lib/binding';
import { DIST, mappingCount, openFdCount, zombieChildren } from './helpers';

/** What an exit says apart from its timing and its child's pid. */
function timeless(exit: ExitInfo) {
  const { elapsedMs, rusage, pid, ...rest } = exit;
  return {
    ...rest,
    elapsedMs: typeof elapsedMs,
    pid: typeof pid,
    rusage: Object.entries(rusage).map(([key, value]) => [key, typeof value]),
  };
}

/** The code of what `call` throws, or 'no error'. */
function codeOf(call: () => unknown): unknown {
  try {
    call();
    return 'no error';
  } catch (error) {
    return (error as { code?: unknown }).code ?? error;
  }
}

/** How many times the addon was asked to clone while `call` ran. */
function clonesDuring(call: () => void): { cloneTask: number; cloneTaskSync: number } {
  const binding = addon() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const counts = { cloneTask: 0, cloneTaskSync: 0 };
  const originals = { cloneTask: binding.cloneTask, cloneTaskSync: binding.cloneTaskSync };
  for (const name of ['cloneTask', 'cloneTaskSync'] as const) {
    binding[name] = (...args: unknown[]) => {
      counts[name]++;
      return originals[name](...args);
    };
  }
  try {
    call();
  } finally {
    Object.assign(binding, originals);
  }
  return counts;
}

const devNull = openSync('/dev/null', 'w');
afterAll(() => closeSync(devNull));

const PROCESS = presets.process;
const VM_PROCESS = CloneFlags.from('CLONE_VM|SIGCHLD');

describe('cloneSync', () => {
  const cases: Array<[string, () => Task, CloneOptions]> = [
    ['an exit code, in a thread', () => tasks.exit(7), { flags: presets.thread }],
    ['an exit code, in a process', () => tasks.exit(9), { flags: PROCESS }],
    [
      'a sum, in a thread',
      () => tasks.sumArray(new Int32Array([1, 2, 3, 4])),
      { flags: presets.thread },
    ],
    [
      'a 64-bit sum, in a process sharing memory',
      () => tasks.sumArray(new BigInt64Array([2n ** 62n, 2n ** 62n, 5n])),
      { flags: VM_PROCESS },
    ],
    ['a write, in a thread', () => tasks.write(devNull, 'hello'), { flags: presets.thread }],
    ['a write, in a process', () => tasks.write(devNull, 'hello'), {}],
    ['a sleep, in a thread', () => tasks.sleep(5), { flags: presets.thread, stackSize: 65536 }],
    ['a segfault, in a process', () => tasks.fault('segv'), { flags: PROCESS }],
    ['a stack overflow, in a process', () => tasks.fault('stack-overflow'), { flags: PROCESS }],
    [
      'no exit signal (waitid needs __WALL)',
      () => tasks.exit(3),
      { flags: PROCESS, exitSignal: null },
    ],
  ];

  it.each(cases)('returns what clone().waitSync() returns: %s', (_, make, options) => {
    const fused = cloneSync(make(), options);
    const joined = clone(make(), options).waitSync();
    expect(timeless(fused)).toEqual(timeless(joined));
    expect(Object.keys(fused)).toEqual(Object.keys(joined));
    expect(fused.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('gives a sleep its time, and a process task its own pid', () => {
    expect(cloneSync(tasks.sleep(30), { flags: presets.thread }).elapsedMs).toBeGreaterThanOrEqual(
      30,
    );
    const thread = cloneSync(tasks.probe(), { flags: presets.thread });
    const threadProbe = thread.value as TaskProbe;
    expect(threadProbe.tgid).toBe(process.pid);
    expect(thread.pid).toBe(threadProbe.tid);
    const own = cloneSync(tasks.probe());
    const ownProbe = own.value as TaskProbe;
    expect(own.pid).toBe(ownProbe.pid);
    expect(ownProbe.ppid).toBe(process.pid);
  });

  it('crosses into the addon once and makes no Child', () => {
    expect(clonesDuring(() => cloneSync(tasks.exit(0), { flags: presets.thread }))).toEqual({
      cloneTask: 0,
      cloneTaskSync: 1,
    });
  });

  it('refuses what clone() refuses, with the same code, before anything is cloned', () => {
    const thrown = new Error('from a getter');
    const hostile: Array<[unknown, unknown]> = [
      [null, {}],
      [{ kind: 'exit', plan: {} }, {}],
      [tasks.exit(0), null],
      [tasks.exit(0), { bogus: 1 }],
      [tasks.exit(0), { flags: 'CLONE_PARENT' }],
      [tasks.exit(0), { flags: 'CLONE_INTO_CGROUP' }],
      [tasks.fault('segv'), { flags: presets.thread }],
      [tasks.exit(0), { stackSize: 1 }],
      [tasks.exit(0), { stackSize: 2 ** 40 }],
      [tasks.exit(0), { tls: 'old', flags: presets.thread }],
      [tasks.exit(0), { exitSignal: 'SIGNOPE' }],
      [tasks.exit(0), { exitSignal: 'SIGUSR2' }],
      [
        tasks.exit(0),
        Object.defineProperty({}, 'flags', {
          enumerable: true,
          get() {
            throw thrown;
          },
        }),
      ],
      [
        tasks.exit(0),
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw thrown;
            },
          },
        ),
      ],
    ];
    for (const [task, options] of hostile) {
      const expected = codeOf(() => clone(task as Task, options as CloneOptions));
      expect(expected).not.toBe('no error');
      let code: unknown;
      const counts = clonesDuring(() => {
        code = codeOf(() => cloneSync(task as Task, options as CloneOptions));
      });
      expect([code, counts]).toEqual([
        expected,
        { cloneTask: 0, cloneTaskSync: expect.any(Number) },
      ]);
      // Refused in JS: the addon was never reached.
      expect(counts.cloneTaskSync).toBe(0);
    }
  });

  it('leaves no fd, zombie or mapping behind, thread or process', () => {
    const run = () => {
      for (let i = 0; i < 400; i++) {
        cloneSync(tasks.exit(0), { flags: presets.thread });
        cloneSync(tasks.probe(), { flags: presets.thread });
        if (i % 4 === 0) cloneSync(tasks.sumArray(new Float64Array([1.5, 2])), { flags: PROCESS });
      }
    };
    run(); // fills the stack cache
    const fds = openFdCount();
    const mappings = mappingCount();
    run();
    expect(openFdCount()).toBe(fds);
    // The heap's own mappings move a little; a leaked stack or block shows as +900 or more.
    expect(Math.abs(mappingCount() - mappings)).toBeLessThan(100);
    expect(zombieChildren()).toEqual([]);
  });
});

/** A Node of its own whose workers run cloneSync in a loop while `main` ends them or the process. */
function withWorkersLooping(main: string) {
  const worker = `const lib = require(${JSON.stringify(DIST)});
require('node:worker_threads').parentPort.postMessage('ready');
for (;;) {
  lib.cloneSync(lib.tasks.sleep(2), { flags: lib.presets.thread });
  lib.cloneSync(lib.tasks.exit(0));
}`;
  const script = `const { Worker } = require('node:worker_threads');
const workers = [];
let ready = 0;
for (let i = 0; i < 3; i++) {
  const w = new Worker(${JSON.stringify(worker)}, { eval: true });
  w.on('error', (e) => { console.error('worker error:', e); process.exitCode = 3; });
  w.once('message', () => { if (++ready === 3) setTimeout(main, 100); });
  workers.push(w);
}
async function main() {
${main}
}`;
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
}

describe('cloneSync at teardown', () => {
  it('a worker terminated while it clones and joins in a loop ends cleanly', () => {
    const result = withWorkersLooping(
      `await Promise.all(workers.map((w) => w.terminate()));
       const fs = require('node:fs');
       const zombies = fs.readdirSync('/proc').filter((e) => /^\\d+$/.test(e)).filter((e) => {
         try { const s = fs.readFileSync('/proc/' + e + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).startsWith('Z ' + process.pid + ' '); } catch { return false; }
       });
       console.log(JSON.stringify({ zombies: zombies.length }));`,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ zombies: 0 });
  });

  it('process.exit while workers clone and join ends the process with its code', () => {
    const result = withWorkersLooping(`process.exit(7);`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(7);
  });
});
