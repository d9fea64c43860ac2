// Issue 16: spawn's flags are worked out once per distinct input (a spawn
// loop passes the same options each time), and every input still gets
// exactly the flags it got before, bad input refused each time.
import { CloneFlags, presets } from '../lib/flags';
import { FLAG_CACHE_LIMIT } from '../lib/spawn-flags';
import { planSpawn } from '../lib/spawn-plan';

describe('flags computed once per distinct input', () => {
  const plan = (options: Parameters<typeof planSpawn>[2]) =>
    planSpawn('/bin/true', [], { ...options, env: {} }).flags;

  it('the same input gives the same flags object: no second computation', () => {
    expect(plan({})).toBe(plan({}));
    expect(plan({ flags: 'CLONE_NEWUTS' })).toBe(plan({ flags: 'CLONE_NEWUTS' }));
    expect(plan({ flags: presets.vfork })).toBe(plan({ flags: presets.vfork }));
    expect(plan({ flags: 0x4000000n, exitSignal: 'SIGUSR1' })).toBe(
      plan({ flags: 0x4000000n, exitSignal: 'SIGUSR1' }),
    );
  });

  it('each distinct input gets its own flags, the same as before the cache', () => {
    expect(plan({}).toString()).toBe('CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD');
    expect(plan({ fastPath: false }).toString()).toBe('CLONE_PIDFD|SIGCHLD');
    expect(plan({ exitSignal: null }).toString()).toBe('CLONE_VM|CLONE_PIDFD|CLONE_VFORK');
    expect(plan({ exitSignal: 'SIGUSR1' }).exitSignalNumber).toBe(10);
    expect(plan({ exitSignal: 10 }).exitSignalNumber).toBe(10);
    expect(plan({ flags: 'SIGUSR2' }).exitSignalNumber).toBe(12);
    expect(plan({ flags: 'SIGUSR2', exitSignal: 'SIGUSR1' }).exitSignalNumber).toBe(10);
    expect(plan({ flags: presets.process, fastPath: false }).toString()).toBe(
      'CLONE_PIDFD|CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD',
    );
  });

  it('bad input is refused every time, never kept', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => plan({ flags: 'CLONE_THREAD' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS' }),
      );
      expect(() => plan({ fastPath: 'yes' as unknown as boolean })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
      expect(() => plan({ exitSignal: 'SIGNOPE' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
  });

  it('an array of names is read each time: changed between spawns, the flags follow', () => {
    const names: Array<'NEWUTS' | 'NEWIPC'> = ['NEWUTS'];
    expect(plan({ flags: names }).has('NEWUTS')).toBe(true);
    names[0] = 'NEWIPC';
    const changed = plan({ flags: names });
    expect([changed.has('NEWUTS'), changed.has('NEWIPC')]).toEqual([false, true]);
  });

  it('past the limit the oldest inputs go, and every input still gets its own flags', () => {
    const signals = Array.from({ length: 3 * FLAG_CACHE_LIMIT }, (_, i) => 1 + (i % 31));
    for (const signal of signals)
      expect(plan({ flags: CloneFlags.of('NEWUTS'), exitSignal: signal }).exitSignalNumber).toBe(
        signal,
      );
    // Distinct strings for one flag set: the parser trims each name.
    for (let i = 0; i < 2 * FLAG_CACHE_LIMIT; i++) {
      const signal = 1 + (i % 31);
      expect(plan({ flags: `CLONE_NEWUTS|${' '.repeat(i)}${signal}` }).exitSignalNumber).toBe(
        signal,
      );
    }
  });

  it('container options are planned each time', () => {
    const first = planSpawn('/bin/true', [], { env: {}, flags: 'CLONE_NEWUTS', hostname: 'a' });
    const second = planSpawn('/bin/true', [], { env: {}, flags: 'CLONE_NEWUTS', hostname: 'a' });
    expect(first.flags).not.toBe(second.flags);
    expect(first.flags.equals(second.flags)).toBe(true);
  });
});
