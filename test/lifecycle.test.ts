// Issue 14, the adversarial suite: the Child handle's methods called in the
// orders other tests do not use (kill before anyone waits, wait twice,
// waitSync after wait, asyncDispose twice, unref then ref), for a program
// and for a thread task. Each order settles with the one exit and leaves no
// zombie.
import { clone, presets, spawn, tasks } from '../lib';
import { runNodeScript, zombieChildren } from './helpers';

const makers = {
  program: () => spawn('sleep', ['30'], { stdio: 'ignore' }),
  thread: () => clone(tasks.sleep(30_000), { flags: presets.thread }),
};

describe.each(Object.entries(makers))('the Child of a %s, in every order', (_, make) => {
  it('kill before wait: the wait settles with that signal', async () => {
    const child = make();
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await child.wait()).toMatchObject({ signal: 'SIGTERM', exitCode: null });
    expect(child.kill('SIGTERM')).toBe(false);
  });

  it('wait twice, then waitSync, then wait again: one exit, the same each time', async () => {
    const child = make();
    const first = child.wait();
    const second = child.wait();
    child.kill('SIGKILL');
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(child.waitSync()).toBe(a);
    expect(await child.wait()).toBe(a);
    expect(child.exitInfo).toBe(a);
  });

  it('Symbol.asyncDispose twice, and close after it: idempotent', async () => {
    const child = make();
    await child[Symbol.asyncDispose]();
    await child[Symbol.asyncDispose]();
    child.close();
    expect(child.exitInfo).toMatchObject({ signal: 'SIGKILL' });
    expect(zombieChildren()).toEqual([]);
  });

  it('close before wait, then wait: the exit is already there', async () => {
    const child = make();
    child.close();
    expect(await child.wait()).toBe(child.exitInfo);
    expect(child.pidfd).toBeNull();
  });
});

describe('unref then ref', () => {
  it.each([
    ['program', `lib.spawn('sleep', ['0.3'], { stdio: 'ignore' })`],
    ['thread', `lib.clone(lib.tasks.sleep(300), { flags: lib.presets.thread })`],
  ])('a %s unref()ed then ref()ed keeps Node running until it exits', (_, make) => {
    const out = runNodeScript(`
      const child = ${make};
      child.unref().ref();
      child.wait().then((exit) => console.log('waited', exit.exitCode));`);
    expect(out.trim()).toBe('waited 0');
  });

  it.each([
    ['program', `lib.spawn('sleep', ['30'], { stdio: 'ignore' })`],
    ['thread', `lib.clone(lib.tasks.sleep(30000), { flags: lib.presets.thread })`],
  ])('a %s ref()ed then unref()ed lets Node exit at once', (_, make) => {
    const started = Date.now();
    const out = runNodeScript(`
      const child = ${make};
      child.ref().unref();
      child.wait().then(() => console.log('waited'));`);
    expect(out).toBe('');
    // Far less than the child's 30 s: Node did not wait for it.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
