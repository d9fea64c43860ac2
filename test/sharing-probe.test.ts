// probe() reports what it measured or fails: a semop the child could not do
// leaves the semaphore as an unshared undo list would, so it is an error
// (outside a new IPC namespace, where Node's semaphore does not exist and no
// undo list is ever shared).
import { run } from '../lib';
import { DIST, isRoot, itIf } from './helpers';

/** Runs `script` in a Node whose every semop fails with EPERM (a seccomp filter of this library's). */
async function withoutSemop(script: string): Promise<unknown> {
  const result = await run(
    process.execPath,
    ['-e', `const lib = require(${JSON.stringify(DIST)});\n${script}`],
    { seccomp: { deny: ['semop'] } },
  );
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout as string) as unknown;
}

describe('probe() and a failed semop', () => {
  it('rejects with ERR_PROBE_FAILED, not a guess of "copied"', async () => {
    const seen = await withoutSemop(`
      lib.probe('CLONE_VM|SIGCHLD').then(
        (report) => console.log(JSON.stringify({ report })),
        (error) => console.log(JSON.stringify({ code: error.code, message: error.message })),
      );`);
    expect(seen).toEqual({
      code: 'ERR_PROBE_FAILED',
      message: expect.stringContaining('semop failed (errno 1)'),
    });
  });

  itIf(isRoot, 'needs root for CLONE_NEWIPC')(
    'in a new IPC namespace reports the copied undo list the kernel gives it',
    async () => {
      const seen = await withoutSemop(`
        lib.probe('CLONE_NEWIPC|SIGCHLD').then(
          (report) => console.log(JSON.stringify({ sysvsem: report.sysvsem, ipc: report.ipc })),
          (error) => console.log(JSON.stringify({ code: error.code })),
        );`);
      expect(seen).toEqual({ sysvsem: 'copied', ipc: 'new' });
    },
  );
});
