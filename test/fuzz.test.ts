// Fuzzing: random flag words, exit signals, stack sizes and options of the
// wrong types at spawn() and clone(), thousands of calls. The campaign runs
// in a Node process of its own (test/drivers/fuzz.js), so a library bug
// that took Node down shows as that process's death, not the runner's.
// Node must never crash or hang, every refusal is an Error with a string
// `code`, and afterwards no zombie is left and fds and mappings are back.
// LINUX_CLONE_FUZZ_ITERATIONS=100000 runs a longer campaign;
// LINUX_CLONE_FUZZ_SEED replays one; LINUX_CLONE_FUZZ_LOG=FILE records each call.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { DIST } from './helpers';

const ITERATIONS = Number(process.env.LINUX_CLONE_FUZZ_ITERATIONS ?? 4000);

type Report = {
  seed: number;
  iterations: number;
  ran: number;
  refused: number;
  before: { fds: number; maps: number };
  after: { fds: number; maps: number };
  zombies: number;
};

describe(`fuzzing spawn and clone (${ITERATIONS} calls per campaign)`, () => {
  it.each([1, 2, 3])(
    'campaign %i: Node never crashes or hangs, refusals are coded, nothing leaks',
    (campaign) => {
      const seed =
        process.env.LINUX_CLONE_FUZZ_SEED ?? String((Date.now() + campaign * 7919) % 2 ** 31);
      const result = spawnSync(process.execPath, [join(__dirname, 'drivers', 'fuzz.js')], {
        encoding: 'utf8',
        env: {
          ...process.env,
          LINUX_CLONE_DIST: DIST,
          LINUX_CLONE_FUZZ_SEED: seed,
          LINUX_CLONE_FUZZ_ITERATIONS: String(ITERATIONS),
        },
        timeout: Math.max(120_000, ITERATIONS * 50),
        killSignal: 'SIGKILL',
      });
      const ending = result.signal ?? result.status;
      if (ending !== 0)
        throw new Error(
          `the fuzzed Node ended with ${ending} (seed ${seed}; replay with LINUX_CLONE_FUZZ_SEED=${seed}):\n${result.stderr}`,
        );
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Report;
      expect(report.zombies).toBe(0);
      expect(report.after.fds).toBe(report.before.fds);
      // Hundreds of children ran; a leaked stack per child would show as +2 mappings each.
      expect(report.ran).toBeGreaterThan(ITERATIONS / 20);
      expect(report.refused).toBeGreaterThan(ITERATIONS / 4);
      expect(Math.abs(report.after.maps - report.before.maps)).toBeLessThan(100);
      process.stdout.write(`fuzz campaign ${campaign}: ${JSON.stringify(report)}\n`);
    },
    600_000,
  );
});
