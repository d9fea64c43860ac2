// spawn's `uid` and `gid`: the child drops its supplementary groups, sets
// its gid, then its uid, before exec, as libuv does; a refusal is a
// CloneError naming the step; bad values are coded errors before anything
// is cloned; and the parent-death signal survives the change of ids.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { run, spawn } from '../lib';
import {
  DIST,
  hasCommand,
  isRoot,
  itIf,
  pidsRunning,
  processRunning,
  sleep,
  unprivilegedRuntime,
} from './helpers';

jest.setTimeout(60000);

const NOBODY = 65534;

/** A `sleep 30` command line no other process has. */
function markedSleep(): string[] {
  return ['sleep', '30', `0.${randomBytes(4).readUInt32BE()}`];
}

describe('uid and gid', () => {
  itIf(isRoot, 'root')('run the program with those ids and no supplementary group', async () => {
    const result = await run(
      'sh',
      ['-c', 'id -u; id -g; id -G; grep -E "^(Uid|Gid):" /proc/self/status'],
      {
        uid: NOBODY,
        gid: NOBODY - 1,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      `${NOBODY}\n${NOBODY - 1}\n${NOBODY - 1}\n` +
        `Uid:\t${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}\n` +
        `Gid:\t${NOBODY - 1}\t${NOBODY - 1}\t${NOBODY - 1}\t${NOBODY - 1}\n`,
    );
    // Node's own ids are untouched: the child's raw setuid changed only itself.
    expect([process.getuid?.(), process.getgid?.()]).toEqual([0, 0]);
    expect((await run('id', ['-u'])).stdout).toBe('0\n');
  });

  itIf(isRoot, 'root')('gid alone keeps the uid', async () => {
    const result = await run('sh', ['-c', 'id -u; id -g; id -G'], { gid: NOBODY });
    expect(result.stdout).toBe(`0\n${NOBODY}\n${NOBODY}\n`);
  });

  it('an id not mapped in the child’s user namespace fails as a CloneError from setuid / setgid', async () => {
    const options = { flags: 'CLONE_NEWUSER', mapRootUser: true } as const;
    await expect(run('true', [], { ...options, uid: 5 })).rejects.toMatchObject({
      name: 'CloneError',
      code: 'EINVAL',
      errno: -22,
      syscall: 'setuid',
    });
    await expect(run('true', [], { ...options, gid: 5 })).rejects.toMatchObject({
      code: 'EINVAL',
      syscall: 'setgid',
    });
    // Its own ids inside are fine (setgroups, denied there, is skipped).
    const inside = await run('sh', ['-c', 'id -u; id -g'], { ...options, uid: 0, gid: 0 });
    expect(inside.stdout).toBe('0\n0\n');
  });

  itIf(isRoot && hasCommand('setpriv'), 'root and setpriv')(
    'without CAP_SETUID/CAP_SETGID: EPERM from setgid, and from setuid, and its own ids still work',
    () => {
      const runtime = unprivilegedRuntime();
      const script = `const lib = require(${JSON.stringify(runtime.dist)});
        const shape = (options) => lib.run('id', ['-u'], options).then((r) => r.stdout, (e) => [e.name, e.code, e.syscall]);
        Promise.all([shape({ gid: 0 }), shape({ uid: 0 }), shape({ uid: ${NOBODY}, gid: ${NOBODY} })]).then((r) => console.log(JSON.stringify(r)));`;
      const argv = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
      const result = spawnSync(argv[0], [...argv.slice(1), runtime.node, '-e', script], {
        cwd: runtime.cwd,
        encoding: 'utf8',
        timeout: 30000,
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual([
        ['CloneError', 'EPERM', 'setgid'],
        ['CloneError', 'EPERM', 'setuid'],
        `${NOBODY}\n`,
      ]);
    },
  );

  itIf(isRoot && hasCommand('setpriv'), 'root and setpriv')(
    "keep the fast path and leave Node's memory dumpable: the kernel resets the flag of the memory whose ids change, Node's under CLONE_VM, and the parent puts it back once the child has exec'd",
    () => {
      // A Node that is not root but may set ids: its /proc files are its
      // own while it is dumpable, and turn root's when it is not. Four
      // spawns at once, from the main thread and a worker, overlap; the
      // flag must be back after all of them, and after a failed exec too.
      const runtime = unprivilegedRuntime();
      const script = `const lib = require(${JSON.stringify(runtime.dist)});
        const { Worker } = require('node:worker_threads');
        const owner = () => require('node:fs').statSync('/proc/self/status').uid;
        const before = owner();
        const worker = new Worker('const lib = require(' + JSON.stringify(${JSON.stringify(runtime.dist)}) + '); Promise.all([1, 2, 3].map(() => lib.run("id", ["-u"], { uid: 1002 }))).then(() => {});', { eval: true });
        const failed = lib.run('/no/such/program', [], { uid: 1001 }).then(() => 'ran', (e) => e.code);
        Promise.all([lib.run('id', ['-u'], { uid: 1001, gid: 1001 }), failed, new Promise((r) => worker.on('exit', r))])
          .then(([r, f]) => console.log(JSON.stringify([before, r.stdout, /\\bCLONE_VM\\b/.test(r.flags) && /\\bCLONE_VFORK\\b/.test(r.flags), f, owner()])));`;
      const caps = ['--inh-caps=+setuid,+setgid', '--ambient-caps=+setuid,+setgid'];
      const argv = ['setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', ...caps];
      const result = spawnSync(argv[0], [...argv.slice(1), runtime.node, '-e', script], {
        cwd: runtime.cwd,
        encoding: 'utf8',
        timeout: 30000,
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual([1000, '1001\n', true, 'ENOENT', 1000]);
    },
  );

  itIf(isRoot, 'root')(
    'keep pdeathsig: the kernel clears it when the ids change, so it is set again after',
    async () => {
      const argv = markedSleep();
      const script = `const lib = require(${JSON.stringify(DIST)});
        const child = lib.spawn('sleep', ${JSON.stringify(argv.slice(1))}, { uid: ${NOBODY}, gid: ${NOBODY}, pdeathsig: 'SIGKILL', stdio: 'ignore', killAtExit: false });
        console.log(child.pid);
        process.kill(process.pid, 'SIGKILL');`;
      const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(result.signal).toBe('SIGKILL');
      const pid = Number(result.stdout.trim());
      try {
        // The signal is sent as the parent dies; its delivery is not instant.
        for (let i = 0; i < 500 && processRunning(pid); i++) await sleep(10);
        expect(processRunning(pid)).toBe(false);
      } finally {
        for (const left of pidsRunning(argv)) process.kill(left, 'SIGKILL');
      }
    },
  );

  it.each([
    ['a string', 'uid', '0', 'ERR_INVALID_ARG_TYPE'],
    ['null', 'gid', null, 'ERR_INVALID_ARG_TYPE'],
    ['a bigint', 'uid', 0n, 'ERR_INVALID_ARG_TYPE'],
    ['a boolean', 'gid', true, 'ERR_INVALID_ARG_TYPE'],
    ['negative', 'uid', -1, 'ERR_OUT_OF_RANGE'],
    ['NaN', 'gid', NaN, 'ERR_OUT_OF_RANGE'],
    ['a fraction', 'uid', 1.5, 'ERR_OUT_OF_RANGE'],
    ['(uid_t)-1, which means "unchanged"', 'uid', 2 ** 32 - 1, 'ERR_OUT_OF_RANGE'],
    ['huge', 'gid', 2 ** 53, 'ERR_OUT_OF_RANGE'],
    ['Infinity', 'uid', Infinity, 'ERR_OUT_OF_RANGE'],
  ])('%s %s is refused before anything is cloned', (_, key, value, code) => {
    const argv = markedSleep();
    let thrown: unknown;
    try {
      spawn(argv[0], argv.slice(1), { [key]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      name: code === 'ERR_INVALID_ARG_TYPE' ? 'TypeError' : 'RangeError',
      code,
    });
    expect((thrown as Error).message).toContain(`options.${key}`);
    expect(pidsRunning(argv)).toEqual([]);
  });

  it('is read once through a getter, and a throwing getter’s own error propagates', async () => {
    let reads = 0;
    const options = {
      get gid() {
        reads++;
        return reads === 1 ? process.getgid?.() : -5;
      },
    };
    expect((await run('id', ['-g'], options)).stdout).toBe(`${process.getgid?.()}\n`);
    expect(reads).toBe(1);
    const mine = new Error('mine');
    const argv = markedSleep();
    let thrown: unknown;
    try {
      spawn(argv[0], argv.slice(1), {
        get uid(): number {
          throw mine;
        },
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(mine);
    expect(pidsRunning(argv)).toEqual([]);
  });
});
