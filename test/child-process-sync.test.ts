// linux-clone/child_process's spawnSync, execSync and execFileSync against
// Node's own, call for call: the same results, the same thrown errors.
import * as real from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

import * as ours from '../lib/child-process';
import { DIST, openFdCount, traceSyscalls, zombieChildren } from './helpers';

type Outcome = Record<string, unknown>;

/** What a call returned or threw, with what may differ between two runs (pids, stacks) left out. */
function outcome(call: () => unknown): Outcome {
  try {
    const value = call();
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value))
      return { returned: value };
    const result = { ...(value as Outcome) };
    const keys = Object.keys(result).sort();
    delete result.pid;
    if (result.error !== undefined) result.error = errorFields(result.error);
    return { keys, ...result };
  } catch (error) {
    return { thrown: errorFields(error) };
  }
}

function errorFields(error: unknown): Outcome {
  const fields: Outcome = { ...(error as Outcome) };
  delete fields.pid;
  // execSync's error for a failed spawn is the result's own error, fields and all: itself.
  if (fields.error === error) fields.error = '[itself]';
  const { name, message, constructor } = error as Error;
  return { name, message, type: constructor.name, ...fields };
}

/** Runs the same call on both modules and expects the same outcome. */
function same(call: (cp: typeof real) => unknown): Outcome {
  const expected = outcome(() => call(real));
  expect(outcome(() => call(ours as unknown as typeof real))).toEqual(expected);
  return expected;
}

describe('spawnSync as node:child_process', () => {
  it('gives the same result for exits, output, signals and encodings', () => {
    same((cp) => cp.spawnSync('sh', ['-c', 'echo out; echo err >&2; exit 3']));
    same((cp) => cp.spawnSync('sh', ['-c', 'kill -TERM $$']));
    same((cp) => cp.spawnSync('sh', ['-c', 'kill -SEGV $$']));
    same((cp) => cp.spawnSync('echo', ['hi'], { encoding: 'utf8' }));
    same((cp) => cp.spawnSync('echo', ['hi'], { encoding: 'hex' }));
    same((cp) => cp.spawnSync('pwd', { cwd: '/' }));
    same((cp) =>
      cp.spawnSync('sh', ['-c', 'echo "$0" $FOO'], { argv0: 'zero', env: { FOO: 'x' } }),
    );
  });

  it('feeds input of every type Node takes, and refuses the others as Node does', () => {
    const text = 'hello world';
    for (const input of [
      text,
      Buffer.from(text),
      new Uint16Array(Buffer.from(`${text}!`).buffer),
      new DataView(Buffer.from(text).buffer),
    ]) {
      const result = same((cp) => cp.spawnSync('cat', [], { input }));
      expect(result.status).toBe(0);
    }
    same((cp) => cp.spawnSync('cat', [], { input: 1234 as never }));
    same((cp) => cp.spawnSync('cat', [], { input: 'héllo', encoding: 'latin1' }));
    // A child that does not read its input: EPIPE, as Node reports it.
    const unread = same((cp) => cp.spawnSync('true', [], { input: Buffer.alloc(8 << 20) }));
    expect(unread.error).toMatchObject({ code: 'EPIPE' });
  });

  it('takes the stdio forms Node takes, pipes being sockets as Node’s are', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      same((cp) => cp.spawnSync('sh', ['-c', 'echo x'], { stdio: 'ignore' }));
      same((cp) => cp.spawnSync('true', [], { stdio: 'inherit' }));
      same((cp) => cp.spawnSync('sh', ['-c', 'cat; echo e >&2'], { stdio: [fd, 'pipe', 'pipe'] }));
      same((cp) =>
        cp.spawnSync('sh', ['-c', 'echo three >&3'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }),
      );
      same((cp) =>
        cp.spawnSync('sh', ['-c', 'readlink /proc/self/fd/0 | cut -c1-7'], {
          stdio: ['pipe', 'pipe', null],
        }),
      );
      same((cp) => cp.spawnSync('true', [], { stdio: ['ipc', 'pipe', 'pipe'] }));
      same((cp) => cp.spawnSync('true', [], { stdio: [99, 'pipe', 'pipe'] }));
    } finally {
      closeSync(fd);
    }
  });

  it('reports a program that cannot run as Node does: the error in the result', () => {
    const missing = same((cp) => cp.spawnSync('command_does_not_exist', ['bar']));
    expect(missing.error).toMatchObject({
      code: 'ENOENT',
      syscall: 'spawnSync command_does_not_exist',
      spawnargs: ['bar'],
    });
    same((cp) => cp.spawnSync('true', [], { cwd: '/nonexistent' }));
    same((cp) => cp.spawnSync('/etc/passwd'));
    same((cp) => cp.spawnSync('/etc'));
    same((cp) => cp.spawnSync('does-not-exist', { shell: true }));
  });

  it('kills at timeout with killSignal (ETIMEDOUT) and past maxBuffer (ENOBUFS), as Node does', () => {
    const late = same((cp) => cp.spawnSync('sleep', ['5'], { timeout: 50 }));
    expect(late).toMatchObject({ signal: 'SIGTERM', error: { code: 'ETIMEDOUT' } });
    same((cp) => cp.spawnSync('sleep', ['5'], { timeout: 50, killSignal: 'SIGKILL' }));
    same((cp) => cp.spawnSync('sleep', ['5'], { timeout: 50, killSignal: 9 }));
    // The sum of stdout and stderr counts; what was read before the kill is kept.
    const full = same((cp) =>
      cp.spawnSync('sh', ['-c', 'echo 1234567890; sleep 0.05; echo 1234567890 >&2; exec sleep 5'], {
        maxBuffer: 15,
      }),
    );
    expect(full.error).toMatchObject({ code: 'ENOBUFS' });
    same((cp) => cp.spawnSync('sh', ['-c', 'echo hi; exec sleep 5'], { maxBuffer: 1 }));
    same((cp) => cp.spawnSync('echo', ['hi'], { maxBuffer: 0 }));
    same((cp) => cp.spawnSync('echo', ['hi'], { maxBuffer: Infinity }));
  });

  it('throws what Node throws for bad arguments, null bytes included, before anything is cloned', () => {
    const bad: Array<(cp: typeof real) => unknown> = [
      (cp) => cp.spawnSync('ech\0o'),
      (cp) => cp.spawnSync('echo', ['a\0b']),
      (cp) => cp.spawnSync('echo', { env: { A: 'x\0y' } }),
      (cp) => cp.spawnSync('echo', { cwd: '/\0' }),
      (cp) => cp.spawnSync(''),
      (cp) => cp.spawnSync(5 as never),
      (cp) => cp.spawnSync('echo', 'x' as never),
      (cp) => cp.spawnSync('echo', { cwd: 5 as never }),
      (cp) => cp.spawnSync('echo', { shell: 1 as never }),
      (cp) => cp.spawnSync('echo', { timeout: -1 }),
      (cp) => cp.spawnSync('echo', { maxBuffer: -1 }),
      (cp) => cp.spawnSync('echo', { killSignal: 'SIGNOPE' as never }),
      (cp) => cp.spawnSync('echo', { uid: 1.5 }),
      (cp) => cp.spawnSync('echo', { stdio: 'bogus' as never }),
      (cp) => cp.spawnSync('echo', { encoding: 5 as never }),
    ];
    const before = zombieChildren();
    for (const call of bad) expect(same(call).thrown).toBeDefined();
    expect(zombieChildren()).toEqual(before);
  });
});

describe('execSync and execFileSync as node:child_process', () => {
  it('return the output, and throw Node’s error with status, signal and output', () => {
    same((cp) => cp.execSync('echo $((1 + 2))'));
    same((cp) => cp.execSync('echo hi', { encoding: 'utf8' }));
    same((cp) => cp.execFileSync('sh', ['-c', 'echo hi; echo err >&2'], { stdio: 'pipe' }));
    const failed = same((cp) =>
      cp.execFileSync('sh', ['-c', 'echo o; echo e >&2; exit 3'], { stdio: 'pipe' }),
    );
    expect(failed.thrown).toMatchObject({
      message: expect.stringContaining('Command failed'),
      status: 3,
    });
    same((cp) => cp.execSync('exit 2', { stdio: 'ignore' }));
    same((cp) => cp.execSync('kill -KILL $$', { stdio: 'pipe' }));
    same((cp) => cp.execSync('iamabadcommand', { stdio: 'pipe' }));
  });

  it('throw ENOENT, ETIMEDOUT and ENOBUFS as Node does', () => {
    same((cp) => cp.execFileSync('command_does_not_exist'));
    same((cp) => cp.execSync('exit 1', { shell: 'bad_shell' }));
    same((cp) => cp.execSync('sleep 5', { timeout: 50 }));
    same((cp) => cp.execFileSync('sh', ['-c', 'echo hello; exec sleep 5'], { maxBuffer: 1 }));
    same((cp) => cp.execSync('echo x', { input: 5 as never }));
  });
});

describe('the sync route', () => {
  it('clones the child with CLONE_VM|CLONE_VFORK instead of forking', () => {
    const { result, trace } = traceSyscalls('clone,clone3,vfork,fork', [
      process.execPath,
      '-e',
      `const cp = require(${JSON.stringify(DIST.replace(/index\.js$/, 'child-process/index.js'))});
       process.exit(cp.spawnSync('true').status);`,
    ]);
    expect(result.status).toBe(0);
    const spawns = trace
      .split('\n')
      .filter((line) => /clone3?\(/.test(line) && !/CLONE_THREAD/.test(line));
    expect(spawns.length).toBe(1);
    expect(spawns[0]).toMatch(/CLONE_VM/);
    expect(spawns[0]).toMatch(/CLONE_VFORK/);
  });

  it('leaves node:child_process as it was, after a result or a throw', () => {
    const binding = (process as unknown as { binding(name: string): { spawn: unknown } }).binding(
      'spawn_sync',
    );
    const nodeSpawn = binding.spawn;
    ours.spawnSync('true');
    expect(() => ours.spawnSync('echo', { cwd: 5 as never })).toThrow();
    expect(binding.spawn).toBe(nodeSpawn);
  });

  it('leaves no descriptor open and no zombie behind', () => {
    ours.spawnSync('true');
    const before = openFdCount();
    for (let i = 0; i < 30; i++) {
      ours.spawnSync('sh', ['-c', 'cat; echo e >&2'], {
        input: 'x',
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      });
      ours.spawnSync('command_does_not_exist');
      ours.spawnSync('sleep', ['5'], { timeout: 1 });
    }
    expect(openFdCount()).toBe(before);
    expect(zombieChildren()).toEqual([]);
  });
});
