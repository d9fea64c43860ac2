// Issue 14, item 15: sizes are checked before any work, so a sparse array of
// length 2^32-1 or a 10 MB name is refused at once with a coded error. Each
// case runs in a Node of its own: before the fix some aborted Node out of
// memory, others held its event loop for half a minute.
import { spawnSync } from 'node:child_process';

import { DIST } from './helpers';

/** Runs `call` in a new Node (with `a`, a sparse array of length 2^32-1); the code it threw or rejected with, and its class. */
function refusal(call: string): { line: string; status: number | null } {
  const script = `const lib = require(${JSON.stringify(DIST)});
    const a = []; a.length = 2 ** 32 - 1;
    const huge = 'x'.repeat(1e7);
    const started = process.hrtime.bigint();
    Promise.resolve().then(() => ${call}).then(
      () => console.log('accepted'),
      (e) => console.log(e.code, e.constructor.name, process.hrtime.bigint() - started < 500_000_000n),
    );`;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  return { line: result.stdout.trim().split('\n').at(-1) ?? '', status: result.status };
}

describe('limits are checked before the work (issue 14, item 15)', () => {
  it.each([
    ['stdio', `lib.spawn('true', [], { stdio: a })`, 'ERR_OUT_OF_RANGE RangeError'],
    ['args', `lib.spawn('true', a)`, 'ERR_OUT_OF_RANGE RangeError'],
    ['run args', `lib.run('true', a)`, 'ERR_OUT_OF_RANGE RangeError'],
    [
      'mounts',
      `lib.spawn('true', [], { flags: 'CLONE_NEWNS', mounts: a })`,
      'ERR_OUT_OF_RANGE RangeError',
    ],
    [
      'seccomp.deny',
      `lib.spawn('true', [], { seccomp: { deny: a } })`,
      'ERR_OUT_OF_RANGE RangeError',
    ],
    [
      'enter.namespaces',
      `lib.spawn('true', [], { enter: { target: process.pid, namespaces: a } })`,
      'ERR_OUT_OF_RANGE RangeError',
    ],
    [
      'uidMap',
      `lib.spawn('true', [], { flags: 'CLONE_NEWUSER', uidMap: a })`,
      'ERR_OUT_OF_RANGE RangeError',
    ],
    ['flags', `lib.spawn('true', [], { flags: a })`, 'ERR_OUT_OF_RANGE RangeError'],
    ['CloneFlags.from', `lib.CloneFlags.from(a)`, 'ERR_OUT_OF_RANGE RangeError'],
    [
      'a 10 MB syscall name',
      `lib.spawn('true', [], { seccomp: { deny: [huge] } })`,
      'ERR_INVALID_ARG_VALUE TypeError',
    ],
    [
      'a 10 MB rlimit name',
      `lib.spawn('true', [], { rlimits: { [huge]: 1 } })`,
      'ERR_INVALID_ARG_VALUE TypeError',
    ],
    [
      'a 10 MB flag name',
      `lib.spawn('true', [], { flags: huge })`,
      'ERR_UNKNOWN_CLONE_FLAG TypeError',
    ],
    [
      'a 10 MB signal name',
      `lib.spawn('true', [], { flags: 'SIG' + huge })`,
      'ERR_UNKNOWN_SIGNAL TypeError',
    ],
    [
      'a 10 MB namespace name',
      `lib.spawn('true', [], { enter: { target: process.pid, namespaces: [huge] } })`,
      'ERR_INVALID_ARG_VALUE TypeError',
    ],
  ])('%s is refused at once', (_name, call, expected) => {
    const { line, status } = refusal(call);
    expect(status).toBe(0);
    expect(line).toBe(`${expected} true`);
  });
});
