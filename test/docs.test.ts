// The API reference is generated from the TSDoc by typedoc, with warnings as
// errors (typedoc.json): an export without documentation, a broken {@link}
// or a type the reference cannot reach fails this test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers';

describe('npm run docs', () => {
  const out = mkdtempSync(join(tmpdir(), 'linux-clone-docs-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('typedoc documents every export without a warning', () => {
    const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const result = spawnSync(process.execPath, [typedoc, '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120000,
    });
    expect(result.stdout).not.toMatch(/warning|error/i);
    expect(result.status).toBe(0);
    for (const page of [
      'functions/spawn.html',
      'functions/run.html',
      'functions/clone.html',
      'functions/explain.html',
      'functions/probe.html',
      'classes/CloneFlags.html',
      'classes/Child.html',
      'classes/CloneError.html',
      'interfaces/SpawnOptions.html',
      'interfaces/ContainerOptions.html',
      'variables/tasks.html',
      'variables/presets.html',
    ]) {
      expect(existsSync(join(out, page))).toBe(true);
    }
    // An option's TSDoc reaches its page.
    expect(readFileSync(join(out, 'interfaces/SpawnOptions.html'), 'utf8')).toContain(
      'CLONE_VM|CLONE_VFORK',
    );
  });
});
