// Issue 14, item 14: options are read once, from one snapshot, and objects
// that only look like the library's (a Child-shaped object, a Proxy around a
// Child, a CloneFlags made without its constructor) are refused with coded
// errors. Each case runs in a Node of its own: a forged object must not be
// able to take the test process down.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

import { DIST } from './helpers';

/** Runs `script` in a new Node with `lib` bound to the package; the last line it prints. */
function lastLineOf(script: string): string {
  const result = spawnSync(
    process.execPath,
    ['-e', `const lib = require(${JSON.stringify(DIST)});\n${script}`],
    { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
  );
  return result.stdout.trim().split('\n').at(-1) ?? `no output; stderr: ${result.stderr}`;
}

const ATTEMPT = `const attempt = (f) => { try { f(); return 'accepted'; } catch (e) { return e.code ?? 'uncoded ' + e; } };`;

describe('options are read once (issue 14, item 14)', () => {
  it('a cgroup.path getter that changes its answer cannot lead the library outside the cgroup tree', () => {
    const line = lastLineOf(`
      let reads = 0;
      const cgroup = { get path() { return reads++ === 0 ? 'lc-getter-test' : '../../lc-escape'; } };
      lib.run('true', [], { cgroup }).then((r) => console.log('ran', reads), (e) => console.log(e.code, reads));`);
    expect(line).toMatch(/^(ran|\w+) 1$/);
    expect(readdirSync('/sys/fs/cgroup').some((d) => d.includes('lc-escape'))).toBe(false);
  });
});

describe('forged library objects are refused (issue 14, item 14)', () => {
  it('enter.target shaped like a Child ({pid, pidfd: -1}) is refused, never run in the host namespaces', () => {
    const line = lastLineOf(`
      const target = lib.spawn('sleep', ['30'], { flags: 'CLONE_NEWUTS', hostname: 'inside' });
      lib.run('hostname', [], { enter: { target: { pid: target.pid, pidfd: -1 }, namespaces: ['uts'] } })
        .then((r) => console.log('ran', r.stdout.trim()), (e) => console.log(e.code, e.constructor.name))
        .finally(() => target.kill('SIGKILL'));`);
    expect(line).toBe('ERR_INVALID_ARG_TYPE TypeError');
  });

  it('a Proxy around a Child is refused as enter.target; the Child itself is entered', () => {
    const line = lastLineOf(`${ATTEMPT}
      const target = lib.spawn('sleep', ['30'], { flags: 'CLONE_NEWUTS', hostname: 'inside' });
      const proxied = attempt(() => lib.spawn('true', [], { enter: { target: new Proxy(target, {}), namespaces: ['uts'] } }));
      lib.run('hostname', [], { enter: { target, namespaces: ['uts'] } })
        .then((r) => console.log(proxied, r.stdout.trim()), (e) => console.log(proxied, e.code))
        .finally(() => target.kill('SIGKILL'));`);
    expect(line).toBe('ERR_INVALID_ARG_TYPE inside');
  });

  it('a CloneFlags made without its constructor, or a Proxy around one, is refused as flags', () => {
    const line = lastLineOf(`${ATTEMPT}
      const codes = [
        attempt(() => lib.spawn('true', [], { flags: Object.create(lib.CloneFlags.prototype) })),
        attempt(() => lib.spawn('true', [], { flags: new Proxy(lib.CloneFlags.parse('CLONE_NEWUTS'), {}) })),
        attempt(() => lib.clone(lib.tasks.exit(0), { flags: Object.create(lib.CloneFlags.prototype) })),
        attempt(() => lib.CloneFlags.from(Object.create(lib.CloneFlags.prototype))),
        attempt(() => lib.CloneFlags.prototype.has.call({}, 'NEWNS')),
        attempt(() => lib.CloneFlags.prototype.with.call(Object.create(lib.CloneFlags.prototype), 'NEWNS')),
        attempt(() => lib.CloneFlags.prototype.toString.call({})),
      ];
      console.log(JSON.stringify(codes));`);
    expect(JSON.parse(line)).toEqual([
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_THIS',
      'ERR_INVALID_THIS',
      'ERR_INVALID_THIS',
    ]);
  });

  it('Child methods and getters called on other objects throw ERR_INVALID_THIS', () => {
    const line = lastLineOf(`${ATTEMPT}
      const child = lib.spawn('sleep', ['30']);
      const others = [{}, Object.create(lib.Child.prototype), new Proxy(child, {})];
      const proto = lib.Child.prototype;
      const getter = (name) => Object.getOwnPropertyDescriptor(proto, name).get;
      const codes = new Set();
      for (const other of others) {
        codes.add(attempt(() => proto.kill.call(other, 'SIGTERM')));
        codes.add(attempt(() => proto.waitSync.call(other)));
        codes.add(attempt(() => proto.close.call(other)));
        codes.add(attempt(() => proto.ref.call(other)));
        codes.add(attempt(() => proto.unref.call(other)));
        codes.add(attempt(() => getter('pidfd').call(other)));
        codes.add(attempt(() => getter('exitInfo').call(other)));
      }
      Promise.allSettled(others.map((other) => proto.wait.call(other))).then((results) => {
        for (const r of results) codes.add(r.status === 'rejected' ? r.reason.code : 'accepted');
        return proto[Symbol.asyncDispose].call({}).catch((e) => codes.add(e.code));
      }).then(() => {
        const alive = child.exitInfo === null && attempt(() => process.kill(child.pid, 0)) === 'accepted';
        child.close();
        console.log(JSON.stringify([...codes, alive]));
      });`);
    expect(JSON.parse(line)).toEqual(['ERR_INVALID_THIS', true]);
  });
});
