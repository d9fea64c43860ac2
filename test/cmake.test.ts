// The design card's second build: cmake-js compiles the same addon from the
// source list in binding.gyp (CMakeLists.txt reads it), and it loads and spawns.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { itWith, ROOT } from './helpers';

describe('npm run build:cmake', () => {
  itWith('cmake')(
    'builds the addon from binding.gyp’s source list, and it loads and spawns',
    () => {
      const build = spawnSync('npm', ['run', 'build:cmake'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 600_000,
      });
      expect(build.status).toBe(0);
      const addon = join(ROOT, 'build-cmake', 'Release', 'linux_clone.node');
      expect(existsSync(addon)).toBe(true);
      // Every source of binding.gyp was compiled: one list, not two copies.
      const sources = (
        JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8')) as {
          targets: Array<{ sources: string[] }>;
        }
      ).targets[0].sources;
      for (const source of sources)
        expect(
          existsSync(join(ROOT, 'build-cmake', 'CMakeFiles', 'linux_clone.dir', `${source}.o`)),
        ).toBe(true);
      const script = `
      const addon = require(${JSON.stringify(addon)});
      addon.setErrorFactory((errno, syscall) => Object.assign(new Error(syscall), { code: String(errno) }));
      // CLONE_VM|CLONE_VFORK|CLONE_PIDFD: the addon passes exactly the bits it is given.
      const plan = { file: '/bin/echo', argv: ['echo', 'cmake-built'], envp: [], stdio: [0, 1, 2], flags: 0x5100n, exitSignal: 17, pdeathsig: 0, setsid: false };
      // The exit is left in addon.fields (native/handle_fields.h: slot 1 the code).
      addon.spawn(plan, () => console.log('exit', addon.fields[1]));`;
      const run = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('cmake-built\nexit 0\n');
    },
    600_000,
  );
});
