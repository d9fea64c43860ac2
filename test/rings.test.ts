// The plan ring is pure: importing the package loads no native code and
// asks the kernel nothing; the addon loads at the first call that clones.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';

import { knownSignalNames, signalNumber } from '../lib/signals';
import { DIST, ROOT } from './helpers';

/** Runs `script` in a Node of its own and returns what it prints, parsed. */
function inFreshNode(script: string): unknown {
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as unknown;
}

const NATIVE_MODULES = `Object.keys(require.cache).filter((path) => path.endsWith('.node')).length`;

describe('the plan ring', () => {
  it("the static signal table is Node's own on Linux, name for name", () => {
    const table = Object.fromEntries(knownSignalNames().map((name) => [name, signalNumber(name)]));
    expect(table).toEqual({ ...constants.signals });
  });

  it('importing the package, and using CloneFlags, presets and explain, loads no addon', () => {
    const seen = inFreshNode(`
      const lib = require(${JSON.stringify(DIST)});
      const before = ${NATIVE_MODULES};
      const report = lib.explain(lib.presets.container);
      lib.CloneFlags.parse('CLONE_VM|SIGCHLD').check();
      const afterPlanning = ${NATIVE_MODULES};
      lib.spawn('/bin/true', [], { stdio: 'ignore' });
      console.log(JSON.stringify({ before, afterPlanning, pid: report.pid, afterSpawn: ${NATIVE_MODULES} }));`);
    expect(seen).toEqual({ before: 0, afterPlanning: 0, pid: 'new', afterSpawn: 1 });
  });

  it('the kernel version is read by the first rule that needs it, not at import', () => {
    const seen = inFreshNode(`
      const os = require('node:os');
      const release = os.release;
      let reads = 0;
      os.release = () => (reads++, release());
      const lib = require(${JSON.stringify(DIST)});
      const atImport = reads;
      lib.CloneFlags.of('PIDFD', 'THREAD', 'SIGHAND', 'VM').brokenRules();
      console.log(JSON.stringify({ atImport, afterRules: reads }));`);
    expect(seen).toEqual({ atImport: 0, afterRules: 1 });
  });
});

describe('the rings, as the lint sees them', () => {
  const config = `import(${JSON.stringify(join(ROOT, 'eslint.config.mjs'))})`;

  it('every file of lib/ is in one ring, or is a front end (index, cli, cli-*)', () => {
    const seen = inFreshNode(`
      ${config}.then(({ PLAN_RING, EFFECT_RING }) => {
        const files = require('node:fs').readdirSync(${JSON.stringify(join(ROOT, 'lib'))})
          .filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
        const placed = [...PLAN_RING, ...EFFECT_RING, 'index', 'cli'];
        console.log(JSON.stringify({
          unplaced: files.filter((f) => !placed.includes(f) && !f.startsWith('cli-')),
          both: PLAN_RING.filter((f) => EFFECT_RING.includes(f)),
        }));
      });`);
    expect(seen).toEqual({ unplaced: [], both: [] });
  });

  it('the plan-ring files, loaded, load no file of the effect ring, directly or transitively', () => {
    const seen = inFreshNode(`
      ${config}.then(({ PLAN_RING, EFFECT_RING }) => {
        const dist = ${JSON.stringify(join(ROOT, 'dist'))};
        for (const name of PLAN_RING) require(dist + '/' + name + '.js');
        const loaded = Object.keys(require.cache).filter((path) => path.startsWith(dist + '/'));
        const effect = EFFECT_RING.filter((name) => loaded.includes(dist + '/' + name + '.js'));
        console.log(JSON.stringify({ files: PLAN_RING.length, effect, native: ${NATIVE_MODULES} }));
      });`) as { files: number; effect: string[]; native: number };
    expect(seen.files).toBeGreaterThan(10);
    expect(seen).toEqual({ files: seen.files, effect: [], native: 0 });
  });

  it('the lint refuses an import of the binding in a plan-ring file', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'),
        '--stdin',
        '--stdin-filename',
        'lib/flags.ts',
        '--rule',
        '{"@typescript-eslint/no-unused-vars":"off"}',
        '--format',
        'json',
      ],
      {
        cwd: ROOT,
        input: "import { addon } from './binding';\n",
        encoding: 'utf8',
        timeout: 60000,
      },
    );
    const [report] = JSON.parse(result.stdout) as Array<{ messages: Array<{ ruleId: string }> }>;
    expect(report.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });
});
