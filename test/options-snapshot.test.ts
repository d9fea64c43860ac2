// Options are read once, from their own properties: a getter runs once, so
// what is validated is what is used, and nothing set on Object.prototype is
// ever taken for an option.
import { clone, run, spawn, tasks } from '../lib';

/** `values` behind getters that count their reads. */
function counted(values: Record<string, unknown>): {
  options: Record<string, unknown>;
  reads: Record<string, number>;
} {
  const reads: Record<string, number> = {};
  const options = {};
  for (const [key, value] of Object.entries(values)) {
    reads[key] = 0;
    Object.defineProperty(options, key, {
      enumerable: true,
      get: () => {
        reads[key]++;
        return value;
      },
    });
  }
  return { options, reads };
}

describe('options are a snapshot', () => {
  it('spawn reads each option once', async () => {
    const cgroupless = counted({
      fastPath: true,
      argv0: 'true',
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      stdio: 'ignore',
      exitSignal: 'SIGCHLD',
      pdeathsig: 'SIGKILL',
      setsid: false,
      rlimits: { nofile: 64 },
      noNewPrivs: true,
    });
    const exit = await spawn('/bin/true', [], cgroupless.options).wait();
    expect(exit.exitCode).toBe(0);
    for (const key of Object.keys(cgroupless.reads))
      expect([key, cgroupless.reads[key]]).toEqual([key, 1]);
  });

  it('run and clone read each option once', async () => {
    const runOptions = counted({
      encoding: 'utf8',
      maxBuffer: 1024,
      timeout: 0,
      killSignal: 'SIGKILL',
      stdio: 'pipe',
    });
    const result = await run('/bin/echo', ['hi'], runOptions.options);
    expect(result.stdout).toBe('hi\n');
    for (const key of Object.keys(runOptions.reads))
      expect([key, runOptions.reads[key]]).toEqual([key, 1]);
    const cloneOptions = counted({
      flags: 'CLONE_VM|SIGCHLD',
      stackSize: 65536,
      exitSignal: 'SIGCHLD',
    });
    expect((await clone(tasks.exit(3), cloneOptions.options).wait()).exitCode).toBe(3);
    for (const key of Object.keys(cloneOptions.reads))
      expect([key, cloneOptions.reads[key]]).toEqual([key, 1]);
  });

  it('a getter that changes its answer after validation cannot pass a bad value on', async () => {
    let first = true;
    const options = {
      stdio: 'ignore' as const,
      get cwd() {
        const value = first ? '/' : '/nonexistent-after-validation';
        first = false;
        return value;
      },
    };
    expect((await spawn('/bin/true', [], options).wait()).exitCode).toBe(0);
  });

  it('an option set on Object.prototype is not an option', async () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.cwd = '/nonexistent-from-the-prototype';
    prototype.flags = 'CLONE_THREAD';
    try {
      const result = await run('/bin/pwd', [], {});
      expect(result.stdout).toBe(`${process.cwd()}\n`);
      expect((await clone(tasks.exit(0), {}).wait()).exitCode).toBe(0);
    } finally {
      delete prototype.cwd;
      delete prototype.flags;
    }
  });
});
