// Issue 14, item 3: a seccomp list that denied exit froze Node. execve
// failed after the filter was loaded, the child's exit was denied and
// retried for good, and Node waited in vfork. The library refuses such a
// list, and the filter always lets a child end whatever list reaches it.
// Each case runs in a Node of its own with a timeout, so a regression fails
// instead of hanging the suite.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DIST } from './helpers';

const BINDING = join(DIST, '..', 'binding.js');

/**
 * Runs `script` in a Node of its own. On a regression its child spins in a
 * denied exit after Node is killed: whatever still runs the script is
 * SIGKILLed, so a failing test leaves nothing behind.
 */
function runScript(script: string): { stdout: string; stderr: string; signal: string | null } {
  const marker = `// seccomp-exit-${process.pid}-${Date.now()}`;
  const result = spawnSync(process.execPath, ['-e', `${script}\n${marker}`], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker))
        process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return { stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

describe('no seccomp list leaves a child unable to end', () => {
  it.each(['exit', 'exit_group'])(
    'a deny list naming %s is refused with a coded error, before any clone',
    (name) => {
      const { stdout, stderr, signal } = runScript(`
      const lib = require(${JSON.stringify(DIST)});
      try {
        lib.spawn('/no/such', [], { seccomp: { deny: ['openat', ${JSON.stringify(name)}] } });
        console.log('spawned');
      } catch (e) {
        console.log(e.name, e.code, /options\\.seccomp\\.deny\\[1\\]/.test(e.message));
      }
      lib.run('/no/such', [], { seccomp: { deny: [${JSON.stringify(name)}] } })
        .then(() => console.log('resolved'), (e) => console.log(e.name, e.code));`);
      expect(signal).toBeNull();
      expect(stderr).toBe('');
      expect(stdout.trim().split('\n')).toEqual([
        'TypeError ERR_INVALID_ARG_VALUE true',
        'TypeError ERR_INVALID_ARG_VALUE',
      ]);
    },
  );

  it.each([true, false])(
    'a filter given exit and exit_group by number still lets a failed child end (fastPath %s)',
    (fastPath) => {
      // Straight to the addon, past the JS refusal: the native filter is the
      // last line.
      const { stdout, stderr, signal } = runScript(`
        const { addon } = require(${JSON.stringify(BINDING)});
        const flags = ${fastPath} ? 0x4000n | 0x100n | 0x1000n : 0x1000n; // CLONE_VFORK|CLONE_VM|CLONE_PIDFD
        try {
          addon().spawn({ file: '/no/such', argv: ['/no/such'], envp: [], stdio: ['ignore', 'ignore', 'ignore'],
            flags, exitSignal: 17, pdeathsig: 0, setsid: false,
            container: { enterPidfd: -1, enterTypes: 0, cgroupFd: -1, noNewPrivs: true, seccompDeny: [60, 231] } },
            () => {});
          console.log('spawned');
        } catch (e) { console.log(e.code, e.syscall); }`);
      expect(signal).toBeNull();
      expect(stderr).toBe('');
      expect(stdout.trim()).toBe('ENOENT execve');
    },
  );
});
