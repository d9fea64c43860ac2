// The plan ring is pure: importing the package loads no native code and
// asks the kernel nothing; the addon loads at the first call that clones.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';

import { knownSignalNames, signalNumber } from '../lib/signals';
import { DIST } from './helpers';

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
