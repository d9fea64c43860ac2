// Issue 14, item 8: mounts leaked to the host. A CLONE_NEWNS child without
// mount options never made / private, so where / is shared (systemd's
// default) a mount made inside showed up outside. The child now makes /
// recursively private first in every new mount namespace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DIST, itWith } from './helpers';

describe('a new mount namespace never leaks mounts to the host', () => {
  itWith('unshare')(
    'with shared propagation on /, a mount made in a CLONE_NEWNS child is not seen outside',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'linux-clone-propagation-'));
      const target = join(dir, 'mnt');
      mkdirSync(target);
      try {
        // A mount namespace of the test's own, whose / is shared as systemd makes it.
        const script = `const lib = require(${JSON.stringify(DIST)}); const fs = require('fs');
          (async () => {
            for (const options of [{ flags: 'CLONE_NEWNS' }, { flags: 'CLONE_NEWNS', fastPath: false },
                                   { flags: 'CLONE_NEWNS|CLONE_NEWUSER', mapRootUser: true }]) {
              const r = await lib.run('mount', ['-t', 'tmpfs', 'lc-propagation', ${JSON.stringify(target)}], options);
              const leaked = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes('lc-propagation');
              console.log(r.exitCode, leaked);
            }
          })();`;
        const result = spawnSync(
          'unshare',
          ['--mount', '--propagation', 'shared', process.execPath, '-e', script],
          { encoding: 'utf8', timeout: 30_000 },
        );
        expect(result.stderr).toBe('');
        expect(result.stdout.trim().split('\n')).toEqual(['0 false', '0 false', '0 false']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
