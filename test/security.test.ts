// The promises of the README's security section that a test can keep: no
// descriptor of Node's reaches a child, a given env is the whole env, and a
// setuid binary raises nothing under noNewPrivs.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { run } from '../lib';
import { itWith, unprivilegedRuntime } from './helpers';

describe('security promises', () => {
  it('no descriptor of Node’s leaks into a child, plain or in a container, whatever Node has open', async () => {
    // Descriptors opened the ways Node opens them, some without O_CLOEXEC's help from us.
    const extra = [openSync('/etc/hostname', 'r'), openSync('/dev/null', 'r')];
    const list = 'for f in /proc/self/fd/*; do echo "${f##*/}"; done';
    for (const options of [
      {},
      { fastPath: false },
      { flags: 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS', mapRootUser: true, mountProc: true },
    ]) {
      const { stdout } = await run('/bin/sh', ['-c', list], options);
      // 0–2 and the directory the shell's glob reads (the lowest free number).
      const fds = String(stdout).trim().split('\n').map(Number);
      expect(fds.filter((fd: number) => fd > 3)).toEqual([]);
    }
    for (const fd of extra) closeSync(fd);
  });

  it('a given env is the child’s whole environment: nothing of Node’s leaks', async () => {
    process.env.LINUX_CLONE_SECRET = 'do-not-leak';
    try {
      const { stdout } = await run('/usr/bin/env', [], { env: { ONLY: '1' } });
      expect(stdout).toBe('ONLY=1\n');
      const inherited = await run('/usr/bin/env');
      expect(inherited.stdout).toContain('LINUX_CLONE_SECRET=do-not-leak');
    } finally {
      delete process.env.LINUX_CLONE_SECRET;
    }
  });

  itWith('setpriv')(
    'a setuid-root binary raises an unprivileged caller to euid 0, and not under noNewPrivs',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'linux-clone-setuid-'));
      chmodSync(dir, 0o755);
      const id = join(dir, 'id');
      copyFileSync('/usr/bin/id', id);
      chmodSync(id, 0o4755); // owned by root, setuid
      const { dist, node, cwd } = unprivilegedRuntime();
      try {
        const script = `const lib = require(${JSON.stringify(dist)});
        (async () => {
          const plain = await lib.run(${JSON.stringify(id)}, ['-u']);
          const locked = await lib.run(${JSON.stringify(id)}, ['-u'], { noNewPrivs: true });
          const sandboxed = await lib.run(${JSON.stringify(id)}, ['-u'], { seccomp: { deny: ['ptrace'] } });
          console.log(JSON.stringify([plain.stdout, locked.stdout, sandboxed.stdout]));
        })();`;
        const result = spawnSync(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', node, '-e', script],
          { cwd, encoding: 'utf8' },
        );
        expect(result.stderr).toBe('');
        // Without it the bit works (so the test can fail); with it, and with seccomp, which implies it, it does not.
        expect(JSON.parse(result.stdout)).toEqual(['0\n', '65534\n', '65534\n']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
