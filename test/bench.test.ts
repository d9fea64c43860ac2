// The benchmarks run in a tiny mode so they cannot rot. This asserts only
// that the harness works and reports what it should, never timings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { hasCommand, itWith, ROOT } from './helpers';

type Result = {
  benchmark: string;
  context: Record<string, unknown>;
  rows: Array<Record<string, unknown>>;
  targets?: Array<{ value: number }>;
};

const results = mkdtempSync(join(tmpdir(), 'linux-clone-bench-'));
const env = { ...process.env, LINUX_CLONE_BENCH_RESULTS: results };

function bench(script: string, args: string[]): Result {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'benchmarks', script), '--json', ...args],
    { encoding: 'utf8', env, timeout: 120000 },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Result;
}

function expectWritten(name: string) {
  expect(JSON.parse(readFileSync(join(results, `${name}.json`), 'utf8'))).toMatchObject({
    benchmark: name,
  });
  expect(readFileSync(join(results, `${name}.svg`), 'utf8')).toMatch(/^<svg /);
}

describe('benchmarks in tiny mode', () => {
  it('spawn: every contender at each heap, as Buffers and JS heap objects, with slopes, targets and context', () => {
    const result = bench('spawn.js', ['--iterations', '3', '--heaps', '0,16']);
    expect(result.context).toMatchObject({
      node: process.version,
      libuv: process.versions.uv,
      cores: expect.any(Number),
      transparentHugePages: expect.any(String),
    });
    const contenders = [
      'linux-clone',
      'linux-clone env given',
      'linux-clone run()',
      'linux-clone fork-like',
      'child_process.spawn',
      'child_process.spawnSync',
      'C posix_spawn',
      'C fork+exec',
    ];
    for (const [kind, heap] of [
      ['none', 0],
      ['buffer', 16],
      ['js heap', 16],
    ] as const) {
      const rows = result.rows.filter((r) => r.kind === kind && r.heapMiB === heap);
      expect(rows.map((r) => r.contender)).toEqual(contenders);
      for (const row of rows)
        expect(row).toMatchObject({
          us: expect.any(Number),
          blockedUs: expect.any(Number),
          cpuUs: expect.any(Number),
        });
    }
    for (const target of result.targets!) expect(Number.isFinite(target.value)).toBe(true);
    const { syscalls } = result as Result & {
      syscalls: { rows: Array<{ contender: string; perSpawn: number; syscalls: string }> };
    };
    if (hasCommand('strace')) {
      expect(syscalls.rows.map((r) => r.contender)).toEqual([
        'linux-clone',
        'linux-clone run()',
        'child_process.spawn',
        'C posix_spawn',
      ]);
      // Each spawns: a clone of some kind shows in every line.
      for (const row of syscalls.rows) expect(row.syscalls).toMatch(/clone|vfork/);
    } else {
      expect(syscalls.rows).toEqual([]);
    }
    expectWritten('spawn');
  });

  it('childprocess: each operation through both modules at each heap, with speed-ups', () => {
    const result = bench('childprocess.js', ['--iterations', '3', '--heaps', '0,16']) as Result & {
      speedups: Array<{ speedup: number }>;
    };
    const lines = result.rows.map(
      (r) => `${String(r.heapMiB)} ${String(r.operation)} ${String(r.module)}`,
    );
    expect(lines).toEqual(
      [0, 16].flatMap((heap) =>
        ['spawn+exit', 'execFile', 'spawnSync'].flatMap((operation) =>
          ['linux-clone/child_process', 'node:child_process'].map(
            (module) => `${heap} ${operation} ${module}`,
          ),
        ),
      ),
    );
    expect(result.speedups).toHaveLength(6);
    for (const { speedup } of result.speedups) expect(Number.isFinite(speedup)).toBe(true);
    expectWritten('childprocess');
  });

  it('threads: linux-clone, the C baselines and worker_threads, unpinned and pinned', () => {
    const result = bench('threads.js', ['--iterations', '5']);
    expect(result.rows.map((r) => r.contender)).toEqual([
      'linux-clone thread (waitSync)',
      'linux-clone thread (wait)',
      'linux-clone cloneSync',
      'C raw clone',
      'C raw clone, fresh stack',
      'C pthread_create',
      'worker_threads',
    ]);
    const pinned = hasCommand('taskset');
    for (const row of result.rows) {
      expect(row.us).toEqual(expect.any(Number));
      // worker_threads runs unpinned only.
      const pinnedUs = pinned && row.contender !== 'worker_threads' ? expect.any(Number) : null;
      expect(row.pinnedUs).toEqual(pinnedUs);
    }
    for (const target of result.targets!) expect(Number.isFinite(target.value)).toBe(true);
    expectWritten('threads');
  });

  it('sumarray: every contender sums right for each worker count', () => {
    const result = bench('sumarray.js', ['--length', '100000', '--workers', '1,2']);
    expect(new Set(result.rows.map((r) => r.contender)).size).toBe(9);
    expectWritten('sumarray');
  });

  it('clonecost: each sharing and namespace flag against a plain process', () => {
    const result = bench('clonecost.js', ['--iterations', '3']);
    expect(result.rows.map((r) => r.flags)).toContain('CLONE_NEWNET');
    expect(result.rows.every((r) => r.us !== null)).toBe(true); // root: nothing refused
    expectWritten('clonecost');
  });

  itWith('unshare', 'bwrap')(
    'containers: linux-clone, unshare(1) and bwrap, with and without NET',
    () => {
      const result = bench('containers.js', ['--iterations', '3']);
      for (const namespaces of ['USER|PID|NS|UTS|IPC', '+NET']) {
        expect(
          result.rows.filter((r) => r.namespaces === namespaces).map((r) => r.contender),
        ).toEqual(['linux-clone', 'unshare(1)', 'bwrap']);
      }
      for (const target of result.targets!) expect(Number.isFinite(target.value)).toBe(true);
      expectWritten('containers');
    },
  );

  it('npm run bench --json writes one JSON file with every benchmark', () => {
    const args = [
      join(ROOT, 'benchmarks', 'run.js'),
      '--json',
      '--iterations',
      '3',
      '--heaps',
      '0',
      '--length',
      '10000',
      '--workers',
      '1',
    ];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 120000 });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(join(results, 'all.json'));
    expect(existsSync(join(results, 'all.json'))).toBe(true);
    expect(
      Object.keys(JSON.parse(readFileSync(join(results, 'all.json'), 'utf8')) as object),
    ).toEqual(['spawn', 'threads', 'sumarray', 'clonecost', 'containers', 'childprocess']);
  });
});
