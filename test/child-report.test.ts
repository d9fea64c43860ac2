// Issue 14, item 17: a child's failure report must not depend on a syscall
// a seccomp filter may deny. With write denied, a missing program was
// reported as exit 127 instead of ENOENT.
import { spawnSync } from 'node:child_process';

import { DIST } from './helpers';

function runScript(script: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(
    process.execPath,
    ['-e', `const lib = require(${JSON.stringify(DIST)});\n${script}`],
    { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
  );
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('a failed exec is reported under a seccomp filter that denies write', () => {
  it.each([true, false])('run() rejects with ENOENT (fastPath %s)', (fastPath) => {
    const { stdout, stderr, status } = runScript(`
      lib.run('/no/such/program', [], { seccomp: { deny: ['write'] }, fastPath: ${fastPath} })
        .then((r) => console.log('resolved', r.exitCode), (e) => console.log('rejected', e.code, e.syscall));`);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.trim()).toBe('rejected ENOENT execve');
  });

  it('a program that runs still gets its filter: echo cannot write, and says so by its status', () => {
    const { stdout, stderr } = runScript(`
      lib.run('echo', ['hi'], { seccomp: { deny: ['write'] } })
        .then((r) => console.log(JSON.stringify([r.exitCode, r.stdout, r.stderr])), (e) => console.log('rejected', e.code));`);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout.trim())).toEqual([1, '', '']);
  });
});
