// Issue 14, item 10: enter with 'pid' plus pdeathsig never ran the program.
// Forked into the entered PID namespace with Node as its parent, the program
// saw getppid() == 0; the pdeathsig re-check took that for a dead parent and
// exited 137 without a report.
import { spawnSync } from 'node:child_process';

import { CLI, DIST } from './helpers';

describe('enter with pid and pdeathsig runs the program', () => {
  it('run() in an entered PID namespace with pdeathsig runs it and reports its output', () => {
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        `const lib = require(${JSON.stringify(DIST)});
        (async () => {
          const target = lib.spawn('sleep', ['30'], { flags: 'CLONE_NEWUSER|CLONE_NEWPID', mapRootUser: true });
          try {
            for (const namespaces of [['user', 'pid'], ['pid']]) {
              const r = await lib.run('sh', ['-c', 'echo inside $$'], { enter: { target, namespaces }, pdeathsig: 'SIGKILL' });
              console.log(r.exitCode, r.stdout.trim());
            }
          } finally { target.kill('SIGKILL'); }
        })();`,
      ],
      { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
    );
    expect(result.stderr).toBe('');
    // Inside: pid 1 is sleep, and the program one of the namespace's next.
    expect(result.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^0 inside \d+$/),
      expect.stringMatching(/^0 inside \d+$/),
    ]);
  });

  it('the CLI runs a program under --enter PID --die-with-parent', () => {
    const target = spawnSync(
      process.execPath,
      [
        '-e',
        `const lib = require(${JSON.stringify(DIST)});
      const target = lib.spawn('sleep', ['30'], { flags: 'CLONE_NEWUSER|CLONE_NEWPID', mapRootUser: true });
      const r = require('child_process').spawnSync(process.execPath, [${JSON.stringify(CLI)}, 'run', '--enter', String(target.pid),
        '--ns', 'user,pid', '--die-with-parent', '--', 'sh', '-c', 'echo inside'], { encoding: 'utf8', timeout: 20000 });
      target.kill('SIGKILL');
      console.log(JSON.stringify([r.status, r.stdout.trim(), r.stderr]));`,
      ],
      { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
    );
    expect(target.stderr).toBe('');
    expect(JSON.parse(target.stdout.trim())).toEqual([0, 'inside', '']);
  });
});
