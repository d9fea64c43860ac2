// Load: many children at once, with the event loop watched.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

import { clone, presets, spawn, tasks } from '../lib';
import { openFdCount, sleep, zombieChildren } from './helpers';

/** This process's children that are alive (not zombies), as the kernel lists them. */
function liveChildren(): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(ppid) === process.pid) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

/**
 * A gate children wait at: their stdin is the read end of a FIFO whose only
 * writer the test holds, so one close lets every waiting child read EOF at
 * once (the test's own cost stays out of the lag it measures).
 */
function fifoGate(path: string): { reader: number; open(): void } {
  execFileSync('mkfifo', [path]);
  // Both ends without blocking: O_RDWR first, so each open finds the other side there.
  const both = openSync(path, 'r+');
  const reader = openSync(path, 'r');
  const writer = openSync(path, 'w');
  closeSync(both);
  return {
    reader,
    open: () => {
      closeSync(writer);
      closeSync(reader);
      unlinkSync(path);
    },
  };
}

/**
 * Spawns `total` children, `limit` at most in flight, each sleeping 0.3 s;
 * the first `limit` wait at a gate until all of them are live, so the test
 * holds `limit` children at once however fast the machine spawns. A spawn
 * holds the loop until the child execs, so a turn starts at most 16 and
 * yields after 4 ms. Resolves with each child's exit code and the live
 * children the kernel listed when the gate opened.
 */
function spawnThroughGate(
  total: number,
  limit: number,
): Promise<{ codes: number[]; live: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'linux-clone-load-'));
  const gate = fifoGate(join(dir, 'gate'));
  const codes: number[] = [];
  let [started, inFlight, finished, live] = [0, 0, 0, 0];
  let scheduled = false;
  let opened = false;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(startSome);
    };
    const startSome = () => {
      scheduled = false;
      const turn = performance.now();
      for (let n = 0; n < 16 && inFlight < limit && started < total; n++) {
        if (n > 0 && performance.now() - turn > 4) break;
        const i = started++;
        inFlight++;
        const stdin = i < limit ? gate.reader : 'ignore';
        spawn('/bin/sh', ['-c', `read _; sleep 0.3; exit ${i % 100}`], {
          stdio: [stdin, 'ignore', 'ignore'],
        })
          .wait()
          .then((exit) => {
            codes[i] = exit.exitCode!;
            inFlight--;
            if (++finished < total) return next();
            rmdirSync(dir);
            resolve({ codes, live });
          }, reject);
      }
      if (!opened && started === Math.min(limit, total)) {
        opened = true;
        live = liveChildren();
        gate.open();
      }
      if (inFlight < limit && started < total) next();
    };
    next();
  });
}

/**
 * The p99 lag of an idle event loop in this process meanwhile: a worker
 * thread's own monitor. The CPU the machine's other work takes delays it as
 * it delays the main loop, while a spawn blocks only the main loop; the main
 * loop's lag beyond it is what the library costs.
 */
function idleLoopLag(): { stop(): Promise<number> } {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const lag = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 5 });
     lag.enable();
     parentPort.once('message', () => { lag.disable(); parentPort.postMessage(lag.percentile(99) / 1e6); });`,
    { eval: true },
  );
  return {
    stop: async () => {
      worker.postMessage('stop');
      const [p99Ms] = (await once(worker, 'message')) as [number];
      await worker.terminate();
      return p99Ms;
    },
  };
}

describe('load', () => {
  it('2,000 spawns, 256 live at once and up to 256 in flight, are all reaped, and the event loop’s p99 lag stays within 50 ms of an idle loop’s', async () => {
    const fds = openFdCount();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    const idle = idleLoopLag();
    lag.enable();
    const total = 2000;
    const limit = 256;
    const { codes, live } = await spawnThroughGate(total, limit);
    lag.disable();
    const idleP99Ms = await idle.stop();
    const p99Ms = lag.percentile(99) / 1e6;
    process.stdout.write(
      `load: ${total} spawns, ${live} live children at the gate, event-loop lag p99 ${p99Ms.toFixed(1)} ms (an idle loop's ${idleP99Ms.toFixed(1)} ms), max ${(lag.max / 1e6).toFixed(1)} ms\n`,
    );
    expect(live).toBeGreaterThanOrEqual(limit);
    expect(codes).toEqual(Array.from({ length: total }, (_, i) => i % 100));
    expect(p99Ms).toBeLessThan(idleP99Ms + 50);
    await sleep(20);
    expect(zombieChildren()).toEqual([]);
    expect(openFdCount()).toBe(fds);
  }, 120_000);

  it('10,000 thread tasks, 64 at a time through wait(), are all joined', async () => {
    const fds = openFdCount();
    let done = 0;
    for (let batch = 0; batch < 10_000 / 64; batch++) {
      const exits = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          clone(tasks.exit(i % 50), { flags: presets.thread, stackSize: 64 * 1024 }).wait(),
        ),
      );
      exits.forEach((exit, i) => expect(exit.exitCode).toBe(i % 50));
      done += exits.length;
    }
    expect(done).toBeGreaterThanOrEqual(9984);
    await sleep(20);
    expect(openFdCount()).toBe(fds);
  }, 120_000);
});
