// Load: many children at once, with the event loop watched.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { clone, presets, spawn, tasks } from '../lib';
import { openFdCount, sleep, zombieChildren } from './helpers';

describe('load', () => {
  it('2,000 spawns with up to 256 in flight are all reaped, and the event loop’s p99 lag stays under 50 ms', async () => {
    const fds = openFdCount();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const total = 2000;
    const limit = 256;
    let started = 0;
    let inFlight = 0;
    let peak = 0;
    const codes: number[] = [];
    // A spawn holds the loop until the child execs (about half a
    // millisecond, as child_process.spawn does), so starting 256 in one turn
    // would block it for over 100 ms: new spawns go out 16 per turn.
    const perTurn = 16;
    let scheduled = false;
    await new Promise<void>((resolve, reject) => {
      const next = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(startSome);
      };
      const startSome = () => {
        scheduled = false;
        for (let n = 0; n < perTurn && inFlight < limit && started < total; n++) {
          const i = started++;
          inFlight++;
          peak = Math.max(peak, inFlight);
          spawn('/bin/sh', ['-c', `sleep 0.3; exit ${i % 100}`], { stdio: 'ignore' })
            .wait()
            .then((exit) => {
              codes[i] = exit.exitCode!;
              inFlight--;
              if (codes.filter((c) => c !== undefined).length === total) resolve();
              else next();
            }, reject);
        }
        if (inFlight < limit && started < total) next();
      };
      next();
    });
    lag.disable();
    const p99Ms = lag.percentile(99) / 1e6;
    process.stdout.write(
      `load: ${total} spawns, peak ${peak} in flight, event-loop lag p99 ${p99Ms.toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms\n`,
    );
    expect(peak).toBe(limit);
    expect(codes).toEqual(Array.from({ length: total }, (_, i) => i % 100));
    expect(p99Ms).toBeLessThan(50);
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
