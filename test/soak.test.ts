// Soak mode (issue 14): many spawns and threads in one Node, with open fds,
// mappings, RSS and unreaped children sampled by scripts/soak.js, which fails
// if any grew. LINUX_CLONE_SOAK=1 runs the full 100k of each (minutes);
// without it the same script runs a short round, so the check itself is tested.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './helpers';

const full = process.env.LINUX_CLONE_SOAK === '1';
const count = full ? 100_000 : 2_000;

interface Phase {
  name: string;
  total: number;
  grew: string[];
}

it(
  `${count} default spawns and ${count} threads leave fds, mappings, RSS and children flat`,
  () => {
    const result = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        join(ROOT, 'scripts', 'soak.js'),
        '--spawns',
        `${count}`,
        '--threads',
        `${count}`,
      ],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    const phases = JSON.parse(result.stdout) as Phase[];
    expect(phases.map((p) => [p.name, p.total, p.grew])).toEqual([
      ['spawn', count, []],
      ['thread', count, []],
    ]);
    expect(result.status).toBe(0);
  },
  full ? 3_600_000 : 120_000,
);
