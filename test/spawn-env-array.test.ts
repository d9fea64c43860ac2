// spawn's `env` as an array: execve's own KEY=value strings, passed as they
// are, as posix_spawn's envp is (linux-clone/child_process hands over the
// strings Node built, with no re-encoding).
import { run, spawn } from '../lib';

async function childEnvironment(env: unknown): Promise<string[]> {
  const result = await run('/usr/bin/env', ['-0'], { env: env as string[] });
  return result.stdout.toString().split('\0').slice(0, -1);
}

describe('spawn with env as an array of strings', () => {
  it('gives the child exactly those strings, in order, duplicates included', async () => {
    expect(await childEnvironment(['B=2', 'A=1', 'B=3', 'EMPTY='])).toEqual([
      'B=2',
      'A=1',
      'B=3',
      'EMPTY=',
    ]);
    expect(await childEnvironment([])).toEqual([]);
  });

  it('looks a bare program name up in its first PATH entry, as getenv would', async () => {
    const result = await run('env', [], { env: ['PATH=/nonexistent', 'PATH=/usr/bin'] }).catch(
      (error: { code?: string }) => error.code,
    );
    expect(result).toBe('ENOENT');
    const found = await run('env', [], { env: ['PATH=/usr/bin:/bin', 'X=1'] });
    expect(found.stdout.toString()).toBe('PATH=/usr/bin:/bin\nX=1\n');
  });

  it('refuses what execve could not take, coded, before cloning', () => {
    const refusal = (env: unknown): unknown => {
      try {
        spawn('/bin/true', [], { env: env as string[] });
        return 'spawned';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(refusal(['A=1', 2])).toBe('ERR_INVALID_ARG_TYPE');
    expect(refusal(['A=\0'])).toBe('ERR_INVALID_ARG_VALUE');
    expect(refusal(new Array(2 ** 21))).toBe('ERR_OUT_OF_RANGE');
    const { proxy, revoke } = Proxy.revocable([] as string[], {});
    revoke();
    expect(refusal(proxy)).toBe('ERR_INVALID_ARG_TYPE');
  });
});
