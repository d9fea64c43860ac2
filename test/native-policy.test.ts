// native/policy.h is generated from lib/policy.ts and lib/namespaces.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers';

describe('native/policy.h', () => {
  it('is what scripts/generate-native-policy.js writes from the compiled policy today', () => {
    const dir = mkdtempSync(join(tmpdir(), 'native-policy-'));
    try {
      const out = join(dir, 'policy.h');
      const run = spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'generate-native-policy.js'), out],
        {
          encoding: 'utf8',
        },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(
        readFileSync(join(ROOT, 'native', 'policy.h'), 'utf8'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
