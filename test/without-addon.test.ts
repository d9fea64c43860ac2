// The package without its addon (no build/, no prebuilds/), as a docs build,
// a bundler or another OS has it: the plan ring works through require, import
// and the CLI, and only the first call that clones says the addon is missing.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers';

/** A copy of the built package in a fresh project's node_modules, with its runtime dependencies and nothing native. */
function copyWithoutAddon(): string {
  const project = mkdtempSync(join(tmpdir(), 'linux-clone-no-addon-'));
  const modules = join(project, 'node_modules');
  const copy = join(modules, 'linux-clone');
  mkdirSync(copy, { recursive: true });
  for (const entry of ['package.json', 'dist', 'bin'])
    cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dependency of Object.keys(manifest.dependencies))
    cpSync(join(ROOT, 'node_modules', dependency), join(modules, dependency), { recursive: true });
  writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
  return project;
}

const project = copyWithoutAddon();

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 60000 });
}

/** Uses the plan ring, then tries a spawn; prints what each gave. */
const USE = `
  const flags = CloneFlags.parse('CLONE_NEWUTS|CLONE_NEWPID|SIGCHLD');
  const report = explain(presets.thread);
  let spawnError = null;
  try { spawn('/bin/true'); } catch (error) { spawnError = error.message; }
  console.log(JSON.stringify({
    flags: flags.toString(),
    broken: CloneFlags.of('THREAD').brokenRules().length,
    presets: Object.keys(presets),
    memory: report.memory,
    pid: explain(presets.container).pid,
    spawnError,
  }));`;

const EXPECTED = {
  flags: 'CLONE_NEWUTS|CLONE_NEWPID|SIGCHLD',
  broken: 1,
  presets: ['thread', 'process', 'vfork', 'container'],
  memory: 'shared',
  pid: 'new',
  spawnError: expect.stringMatching(/No native build was found/),
};

describe('the package without its addon', () => {
  it('has neither build/ nor prebuilds/', () => {
    const listing = node([
      '-e',
      'console.log(require("fs").readdirSync("node_modules/linux-clone").sort().join())',
    ]);
    expect(listing.stdout.trim()).toBe('bin,dist,package.json');
  });

  it('CloneFlags, presets and explain() work through require', () => {
    const result = node([
      '-e',
      `const { CloneFlags, explain, presets, spawn } = require('linux-clone');\n${USE}`,
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(EXPECTED);
  });

  it('CloneFlags, presets and explain() work through import', () => {
    const result = node([
      '--input-type=module',
      '-e',
      `import { CloneFlags, explain, presets, spawn } from 'linux-clone';\n${USE}`,
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(EXPECTED);
  });

  it('linux-clone explain prints its report and its table', () => {
    const bin = join(project, 'node_modules', 'linux-clone', 'bin', 'linux-clone.js');
    const one = node([bin, 'explain', '--json', 'CLONE_VM|CLONE_FS|SIGCHLD']);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      memory: 'shared',
      fsInfo: 'shared',
      fdTable: 'copied',
    });
    const table = node([bin, 'explain']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^ +memory +shared +shared +copied +copied$/m);
  });
});
