// Issue 16: what a Child costs. Its promise is made only when someone
// waits. Each claim is counted (promises made, syscalls made), never timed.
import { runNodeScript } from './helpers';

/** Runs `body` in a Node of its own with `promises()`: the promises made since the hook was enabled. */
function countingPromises(body: string): string {
  return runNodeScript(`
const { createHook } = require('node:async_hooks');
let made = 0;
const hook = createHook({ init(id, type) { if (type === 'PROMISE') made++; } });
const promises = () => made;
// Warm up: the first spawn and clone load the addon and compile their code.
lib.spawn('/bin/true', [], { stdio: 'ignore' }).waitSync();
lib.clone(lib.tasks.exit(0), { flags: lib.presets.thread }).waitSync();
hook.enable();
${body}`);
}

describe('the exit promise is made only when someone waits', () => {
  it('spawn and waitSync make no promise, with ignored or piped stdio', () => {
    const out = countingPromises(`
lib.spawn('/bin/true', [], { stdio: 'ignore' }).waitSync();
lib.spawn('/bin/true', [], { stdio: 'pipe' }).close();
lib.clone(lib.tasks.exit(0), { flags: lib.presets.thread }).waitSync();
console.log(promises());
hook.disable();`);
    expect(out.trim()).toBe('0');
  });

  it('a child nobody waits for makes none; wait() makes one, and wait() again the same', () => {
    const out = countingPromises(`
const child = lib.spawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
setTimeout(() => {
  const before = promises();
  const first = child.wait();
  const after = promises();
  hook.disable();
  first.then((exit) => console.log(before, after - before, child.wait() === first, exit.exitCode));
}, 300);`);
    expect(out.trim()).toBe('0 1 true 7');
  });

  it('a piped stdin is still closed once its child is gone, with nobody waiting', () => {
    const out = runNodeScript(`
const child = lib.spawn('/bin/true', [], { stdio: ['pipe', 'ignore', 'ignore'] });
child.stdin.on('close', () => console.log('stdin closed', child.exitInfo.exitCode));`);
    expect(out.trim()).toBe('stdin closed 0');
  });

  it('wait() after the exit resolves with the same exit as exitInfo', () => {
    const out = runNodeScript(`
const child = lib.spawn('/bin/sh', ['-c', 'kill -9 $$'], { stdio: 'ignore' });
child.waitSync();
child.wait().then((exit) => console.log(exit === child.exitInfo, exit.signal));`);
    expect(out.trim()).toBe('true SIGKILL');
  });
});
