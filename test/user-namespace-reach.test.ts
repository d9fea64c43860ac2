// Issue 14, item 11: what the README's security section says a user
// namespace's root can reach. Without CLONE_NEWPID it sees the host's
// processes and can signal those of its own uid and read their /proc
// entries, as the user could; with CLONE_NEWPID (and its own /proc) it
// cannot name them at all.
import { run, spawn } from '../lib';

const PROBE = 'kill -0 "$1" && echo signalled; test -r "/proc/$1/environ" && echo read; true';

describe('a user namespace’s root and the host’s processes (issue 14, item 11)', () => {
  it('without CLONE_NEWPID it can signal a host process of the same uid and read its /proc entries', async () => {
    const host = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const result = await run('sh', ['-c', PROBE, 'probe', String(host.pid)], {
        flags: 'CLONE_NEWUSER',
        mapRootUser: true,
      });
      expect(result.stdout).toBe('signalled\nread\n');
    } finally {
      host.close();
    }
  });

  it('with CLONE_NEWPID and its own /proc it cannot name one', async () => {
    const host = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const result = await run('sh', ['-c', PROBE, 'probe', String(host.pid)], {
        flags: 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS',
        mapRootUser: true,
        mountProc: true,
      });
      expect(result.stdout).toBe('');
    } finally {
      host.close();
    }
  });
});
