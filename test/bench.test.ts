// The benchmarks run in a tiny mode so they cannot rot. This asserts only
// that the harness works and reports what it should, never timings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers';

const results = mkdtempSync(join(tmpdir(), 'linux-clone-bench-'));

function bench(script: string, args: string[]) {
  const env = { ...process.env, LINUX_CLONE_BENCH_RESULTS: results };
  const result = spawnSync(process.execPath, [join(ROOT, 'benchmarks', script), '--json', ...args], { encoding: 'utf8', env, timeout: 120000 });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown> & { context: Record<string, unknown>; rows: Array<Record<string, unknown>>; targets: Array<Record<string, number>> };
}

describe('benchmarks in tiny mode', () => {
  it('spawn reports every contender, the ratios and the run’s context', () => {
    const result = bench('spawn.js', ['--iterations', '3', '--heaps', '0,64']);
    expect(result.context).toMatchObject({ node: process.version, libuv: process.versions.uv, cores: expect.any(Number) });
    expect(result.rows.map((r) => r.heapMiB)).toEqual([0, 64]);
    for (const row of result.rows) {
      expect(Object.keys(row.us as object)).toEqual(['linux-clone', 'linux-clone env given', 'linux-clone fork-like', 'child_process.spawn', 'C posix_spawn']);
      for (const us of Object.values(row.us as Record<string, number>)) expect(us).toBeGreaterThan(0);
    }
    for (const target of result.targets) for (const ratio of Object.values(target)) expect(Number.isFinite(ratio)).toBe(true);
    expect(existsSync(join(results, 'spawn.json'))).toBe(true);
  });

  it('threads reports linux-clone, the C baselines and worker_threads', () => {
    const result = bench('threads.js', ['--iterations', '5']);
    expect(Object.keys(result.rows[0]!.us as object)).toEqual([
      'linux-clone thread (waitSync)',
      'linux-clone thread (wait)',
      'C raw clone',
      'C pthread_create',
      'worker_threads',
    ]);
  });
});
