import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { CloneError, CloneFlags, presets, run, spawn } from '../lib';
import {
  execStackCount,
  mappingCount,
  openFdCount,
  processRunning,
  runNodeScript,
  sleep,
  zombieChildren,
} from './helpers';

const scratch = mkdtempSync(join(tmpdir(), 'linux-clone-spawn-'));

describe('spawn', () => {
  it('runs a program and reports its exit code, pid and flags', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
    expect(child.pid).toBeGreaterThan(0);
    expect(child.pidfd).toEqual(expect.any(Number));
    expect(String(child.flags)).toBe('CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD');
    expect(child.syscall).toBe('clone3');
    const exit = await child.wait();
    expect(exit).toMatchObject({ pid: child.pid, exitCode: 7, signal: null, coreDumped: false });
    expect(exit.elapsedMs).toBeGreaterThan(0);
    expect(exit.rusage.maxRSS).toBeGreaterThan(0);
    expect(child.pidfd).toBeNull();
  });

  it('reports the signal that ended the child by name', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    expect(child.kill('SIGKILL')).toBe(true);
    await expect(child.wait()).resolves.toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(child.kill()).toBe(false); // idempotent: the child is gone
  });

  it('passes args, argv0 and finds the program on PATH in the parent', async () => {
    const args = await run('sh', ['-c', 'echo "$0|$1"', 'a b', 'c']);
    expect(args.stdout).toBe('a b|c\n');
    const argv = (text: string | Buffer) => String(text).split('\0').slice(0, -1);
    expect(argv((await run('cat', ['/proc/self/cmdline'])).stdout)).toEqual([
      'cat',
      '/proc/self/cmdline',
    ]);
    expect(argv((await run('cat', ['/proc/self/cmdline'], { argv0: 'my-cat' })).stdout)).toEqual([
      'my-cat',
      '/proc/self/cmdline',
    ]);
  });

  it('uses process.env by default, and only the given env when one is given', async () => {
    process.env.LINUX_CLONE_TEST_VAR = 'from-node';
    try {
      expect((await run('/bin/sh', ['-c', 'echo $LINUX_CLONE_TEST_VAR'])).stdout).toBe(
        'from-node\n',
      );
      const given = await run('/usr/bin/env', [], { env: { ONLY: '1', SKIPPED: undefined } });
      expect(given.stdout).toBe('ONLY=1\n');
    } finally {
      delete process.env.LINUX_CLONE_TEST_VAR;
    }
  });

  it('searches the given env PATH, relative entries from cwd', async () => {
    const bin = join(scratch, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'hello-tool'), '#!/bin/sh\necho tool $PWD\n');
    chmodSync(join(bin, 'hello-tool'), 0o755);
    const result = await run('hello-tool', [], { env: { PATH: 'bin:/bin' }, cwd: scratch });
    expect(result.stdout).toBe(`tool ${scratch}\n`);
  });

  it('changes to cwd, a string or a file URL', async () => {
    expect((await run('/bin/pwd', [], { cwd: scratch })).stdout).toBe(`${scratch}\n`);
    expect((await run('/bin/pwd', [], { cwd: new URL(`file://${scratch}`) })).stdout).toBe(
      `${scratch}\n`,
    );
  });

  describe('failures before exec reject with a coded CloneError, the child already reaped', () => {
    const expectFailure = (fn: () => unknown, fields: Partial<CloneError>) => {
      let caught: unknown;
      try {
        fn();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CloneError);
      expect(caught).toMatchObject(fields);
      expect(zombieChildren()).toEqual([]);
      return caught as CloneError;
    };

    it('ENOENT from execve, with the path', () => {
      const error = expectFailure(() => spawn('/no/such/program'), {
        code: 'ENOENT',
        errno: -2,
        syscall: 'execve',
        path: '/no/such/program',
      });
      expect(error.message).toBe(
        "ENOENT: no such file or directory, execve '/no/such/program' (no such program)",
      );
    });

    it('ENOENT from the PATH search, before any clone', () => {
      expectFailure(() => spawn('no-such-program-anywhere'), {
        code: 'ENOENT',
        syscall: 'execve',
        path: 'no-such-program-anywhere',
      });
    });

    it('EACCES for a file without the execute bit', () => {
      const file = join(scratch, 'not-executable');
      writeFileSync(file, '#!/bin/sh\n');
      chmodSync(file, 0o644);
      expectFailure(() => spawn(file), { code: 'EACCES', syscall: 'execve', path: file });
    });

    it('ENOEXEC for an executable the kernel cannot run', () => {
      const file = join(scratch, 'garbage');
      writeFileSync(file, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]));
      chmodSync(file, 0o755);
      expectFailure(() => spawn(file), { code: 'ENOEXEC', syscall: 'execve', path: file });
    });

    it('E2BIG for an argument over the kernel limit', () => {
      expectFailure(() => spawn('/bin/true', ['x'.repeat(200 * 1024)]), {
        code: 'E2BIG',
        syscall: 'execve',
      });
    });

    it('chdir failures name the directory', () => {
      expectFailure(() => spawn('/bin/true', [], { cwd: join(scratch, 'missing') }), {
        code: 'ENOENT',
        syscall: 'chdir',
        path: join(scratch, 'missing'),
      });
    });

    it('run rejects with the same error', async () => {
      await expect(run('/no/such/program')).rejects.toMatchObject({
        code: 'ENOENT',
        syscall: 'execve',
      });
    });
  });

  describe('stdio', () => {
    it('pipes come back as Node streams', async () => {
      const child = spawn('/bin/sh', ['-c', 'read line; echo "out:$line"; echo err >&2']);
      child.stdin!.end('hello\n');
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => chunks.push(c));
      const errChunks: Buffer[] = [];
      child.stderr!.on('data', (c: Buffer) => errChunks.push(c));
      // Listen before waiting: the stream may close before the reap is reported.
      const closed = new Promise((resolve) => child.stdout!.once('close', resolve));
      await child.wait();
      await closed;
      expect(Buffer.concat(chunks).toString()).toBe('out:hello\n');
      expect(Buffer.concat(errChunks).toString()).toBe('err\n');
    });

    it("'ignore' gives /dev/null, 'inherit' Node's own fd, a number that fd", async () => {
      const file = join(scratch, 'stdout.txt');
      const fd = openSync(file, 'w');
      try {
        const child = spawn(
          '/bin/sh',
          ['-c', 'echo to-file; readlink /proc/self/fd/0; readlink /proc/self/fd/2'],
          { stdio: ['ignore', fd, 'inherit'] },
        );
        expect(child.stdio).toEqual([null, null, null]);
        await child.wait();
      } finally {
        closeSync(fd);
      }
      const [line, stdin, stderr] = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(line).toBe('to-file');
      expect(stdin).toBe('/dev/null');
      expect(stderr).toBe(readlinkSelf(2));
    });

    it('swapping stdout and stderr keeps them apart', () => {
      const out = join(scratch, 'a.txt');
      const err = join(scratch, 'b.txt');
      const outFd = openSync(out, 'w');
      const errFd = openSync(err, 'w');
      try {
        // Two hops: first put the files on 1 and 2, then ask a child to swap them.
        const script = `require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))}).spawn('/bin/sh', ['-c', 'echo one; echo two >&2'], { stdio: ['ignore', 2, 1] }).wait()`;
        const result = spawnSync(process.execPath, ['-e', script], {
          stdio: ['ignore', outFd, errFd],
        });
        expect(result.status).toBe(0);
      } finally {
        closeSync(outFd);
        closeSync(errFd);
      }
      expect(readFileSync(out, 'utf8')).toBe('two\n');
      expect(readFileSync(err, 'utf8')).toBe('one\n');
    });

    it('the child gets its stdio slots and no other descriptor of Node', async () => {
      const leaky = openSync(__filename, 'r'); // an fd Node holds; must not reach the child
      try {
        const result = await run('/bin/ls', ['/proc/self/fd']);
        // ls itself opens one fd to read the directory.
        const fds = String(result.stdout)
          .trim()
          .split('\n')
          .map(Number)
          .sort((a: number, b: number) => a - b);
        expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
        expect(fds.length).toBe(4);
        expect(fds).not.toContain(leaky);
      } finally {
        closeSync(leaky);
      }
    });

    it('extra slots reach the child; ignored ones above 2 are closed', async () => {
      const fd = openSync(join(scratch, 'slot3.txt'), 'w');
      try {
        const result = await run('/bin/ls', ['/proc/self/fd'], {
          stdio: ['pipe', 'pipe', 'pipe', fd, 'ignore'],
        });
        const fds = String(result.stdout).trim().split('\n').map(Number);
        expect(fds).toContain(3);
        expect(fds).not.toContain(4 + 100);
        expect(fds.length).toBe(5); // 0,1,2,3 and ls's own
      } finally {
        closeSync(fd);
      }
    });
  });

  describe('signals', () => {
    // Jest sandboxes `process`, so listeners there never reach the real one:
    // these run in a plain Node process.
    it('the child starts with every disposition default and nothing blocked, though Node has handlers', () => {
      const out = runNodeScript(`
        process.on('SIGWINCH', () => {});
        const field = (text, name) => new RegExp('^' + name + ':\\\\s*([0-9a-f]+)$', 'm').exec(text)[1];
        const mine = require('fs').readFileSync('/proc/self/status', 'utf8');
        // Without a sanitizer runtime preloaded (npm run test:asan), which installs handlers of its own in cat.
        const env = { ...process.env, LD_PRELOAD: undefined };
        lib.run('/bin/cat', ['/proc/self/status'], { env }).then((r) => {
          console.log(JSON.stringify({
            parent: { caught: field(mine, 'SigCgt'), ignored: field(mine, 'SigIgn') },
            child: { blocked: field(r.stdout, 'SigBlk'), ignored: field(r.stdout, 'SigIgn'), caught: field(r.stdout, 'SigCgt') },
          }));
        });`);
      const { parent, child } = JSON.parse(out) as Record<string, Record<string, string>>;
      const sigbit = (n: number) => 1n << BigInt(n - 1);
      expect(BigInt(`0x${parent.caught}`) & sigbit(28)).not.toBe(0n); // SIGWINCH caught by Node
      expect(BigInt(`0x${parent.ignored}`) & sigbit(13)).not.toBe(0n); // SIGPIPE ignored by Node
      expect(child).toEqual({
        blocked: '0000000000000000',
        ignored: '0000000000000000',
        caught: '0000000000000000',
      });
    });

    it("Node's own signal handling keeps working beside the library", () => {
      const out = runNodeScript(`
        let got = 0;
        process.on('SIGUSR2', () => got++);
        (async () => {
          await Promise.all(Array.from({ length: 20 }, () => lib.run('/bin/true')));
          process.kill(process.pid, 'SIGUSR2');
          await new Promise((r) => setTimeout(r, 100));
          console.log(got);
        })();`);
      expect(out.trim()).toBe('1');
    });

    it('a child with another exit signal, or none, is waited for; exec turns the signal back to SIGCHLD', () => {
      const out = runNodeScript(`
        let usr2 = 0;
        process.on('SIGUSR2', () => usr2++); // would be 1 if the child still had SIGUSR2 at its exit
        (async () => {
          const a = lib.spawn('/bin/sh', ['-c', 'exit 4'], { exitSignal: 'SIGUSR2', stdio: 'ignore' });
          const b = lib.spawn('/bin/sh', ['-c', 'exit 5'], { exitSignal: null, stdio: 'ignore' });
          const [ea, eb] = await Promise.all([a.wait(), b.wait()]);
          await new Promise((r) => setTimeout(r, 100));
          console.log(JSON.stringify([String(a.flags), ea.exitCode, String(b.flags), eb.exitCode, usr2]));
        })();`);
      expect(JSON.parse(out)).toEqual([
        'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGUSR2',
        4,
        'CLONE_VM|CLONE_PIDFD|CLONE_VFORK',
        5,
        0,
      ]);
    });

    it('pdeathsig kills the child when the Node that spawned it dies', async () => {
      const status = (await run('/bin/cat', ['/proc/self/status'], { pdeathsig: 'SIGKILL' }))
        .stdout;
      expect(status).toMatch(/^Name:\s+cat$/m);
      // A second Node spawns a long sleeper with pdeathsig, then is SIGKILLed.
      const marker = join(scratch, 'orphan-pid');
      const script = `const c = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))}).spawn('/bin/sh', ['-c', 'echo $$ > ${marker}; sleep 30'], { pdeathsig: 'SIGKILL', stdio: 'ignore' }); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200);`;
      spawnSync(process.execPath, ['-e', script]);
      const orphan = Number(readFileSync(marker, 'utf8'));
      await sleep(100);
      expect(processRunning(orphan)).toBe(false);
    });

    it('setsid starts a new session', async () => {
      const out = String(
        (await run('/bin/sh', ['-c', 'echo $$; cut -d" " -f6 /proc/$$/stat'], { setsid: true }))
          .stdout,
      )
        .trim()
        .split('\n');
      expect(out[1]).toBe(out[0]); // session id == its own pid
    });
  });

  describe('the handle', () => {
    it('waitSync blocks until the exit and agrees with wait()', async () => {
      const child = spawn('/bin/sh', ['-c', 'sleep 0.1; exit 3'], { stdio: 'ignore' });
      const exit = child.waitSync();
      expect(exit.exitCode).toBe(3);
      expect(child.waitSync()).toEqual(exit);
      await expect(child.wait()).resolves.toEqual(exit);
    });

    it('wait() is cached, and can stop waiting on an AbortSignal', async () => {
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      expect(child.wait()).toBe(child.wait());
      const controller = new AbortController();
      const waiting = child.wait({ signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      child.close();
      expect(child.exitInfo).toMatchObject({ signal: 'SIGKILL' });
    });

    it('close() kills, reaps and is idempotent', () => {
      const child = spawn('sleep', ['30']);
      child.close();
      child.close();
      expect(child.exitInfo?.signal).toBe('SIGKILL');
      expect(zombieChildren()).toEqual([]);
    });

    it('Symbol.asyncDispose kills and reaps', async () => {
      let pid: number;
      {
        await using child = spawn('sleep', ['30'], { stdio: 'ignore' });
        pid = child.pid;
      }
      expect(processRunning(pid)).toBe(false);
    });

    it('a child nobody waits for is reaped anyway', async () => {
      const child = spawn('/bin/true', [], { stdio: 'ignore' });
      const pid = child.pid;
      await sleep(200);
      expect(zombieChildren()).not.toContain(pid);
      expect(processRunning(pid)).toBe(false);
    });

    it('coexists with child_process, each reaping only its own', async () => {
      const mine = Array.from({ length: 20 }, () =>
        spawn('/bin/sh', ['-c', 'exit 9'], { stdio: 'ignore' }),
      );
      const theirs = Array.from({ length: 20 }, () =>
        promisify(execFile)('/bin/sh', ['-c', 'echo node']),
      );
      const [a, b] = await Promise.all([
        Promise.all(mine.map((c) => c.wait())),
        Promise.all(theirs),
      ]);
      expect(a.every((e) => e.exitCode === 9)).toBe(true);
      expect(b.every((r) => r.stdout === 'node\n')).toBe(true);
    });
  });

  describe('flags', () => {
    it('the fast path can be turned off: a fork-like child', async () => {
      const child = spawn('/bin/true', [], {
        flags: presets.process,
        fastPath: false,
        stdio: 'ignore',
      });
      expect(String(child.flags)).toBe(
        'CLONE_PIDFD|CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD',
      );
      expect((await child.wait()).exitCode).toBe(0);
    });

    it('namespace flags isolate the child', async () => {
      const result = await run('/bin/sh', ['-c', 'echo $$; hostname inside; hostname'], {
        flags: 'CLONE_NEWPID|CLONE_NEWUTS',
      });
      expect(result.stdout).toBe('1\ninside\n');
      expect(result.flags).toBe(
        'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_NEWUTS|CLONE_NEWPID|SIGCHLD',
      );
      expect((await run('hostname')).stdout).not.toBe('inside\n');
    });

    it.each([
      ['CLONE_THREAD|CLONE_SIGHAND|CLONE_VM', /CLONE_THREAD/],
      ['CLONE_FILES', /fd table/],
      ['CLONE_FS', /cwd/],
      ['CLONE_VM|CLONE_SIGHAND', /signal handlers/],
      ['CLONE_SETTLS', /thread-local/],
      ['CLONE_PARENT', /sibling/],
      ['CLONE_INTO_CGROUP', /cgroup/],
    ])('refuses %s before cloning', (flags, why) => {
      expect(() => spawn('/bin/true', [], { flags })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_CLONE_FLAGS',
          message: expect.stringMatching(why),
        }),
      );
    });

    it('refuses a set the kernel would refuse, quoting the rule', () => {
      expect(() => spawn('/bin/true', [], { flags: 'CLONE_NEWIPC|CLONE_SYSVSEM' })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_CLONE_FLAGS',
          rule: 'both CLONE_NEWIPC and CLONE_SYSVSEM were specified',
        }),
      );
    });

    it('accepts every FlagsLike form', () => {
      for (const flags of [
        'CLONE_NEWUTS',
        CloneFlags.of('NEWUTS'),
        0x4000000n,
        ['NEWUTS'] as const,
      ]) {
        const child = spawn('/bin/true', [], { flags: flags as never, stdio: 'ignore' });
        expect(child.flags.has('NEWUTS')).toBe(true);
        child.waitSync();
      }
    });
  });

  describe('scale and hygiene', () => {
    it('500 concurrent spawns are all reaped', async () => {
      const children = Array.from({ length: 500 }, (_, i) =>
        spawn('/bin/sh', ['-c', `exit ${i % 200}`], { stdio: 'ignore' }),
      );
      const exits = await Promise.all(children.map((c) => c.wait()));
      expect(exits.map((e) => e.exitCode)).toEqual(children.map((_, i) => i % 200));
      expect(zombieChildren()).toEqual([]);
    });

    it('the event loop keeps ticking while children are waited for', async () => {
      const child = spawn('sleep', ['0.5'], { stdio: 'ignore' });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      await child.wait();
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(20);
    });

    it('fd, zombie and mapping counts are unchanged after a thousand spawns', async () => {
      for (let i = 0; i < 50; i++) await spawn('/bin/true', [], { stdio: 'ignore' }).wait(); // warm up
      const fds = openFdCount();
      const maps = mappingCount();
      const stacks = execStackCount();
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, () =>
            spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] }).wait(),
          ),
        );
      }
      await sleep(50); // let the streams of the last batch close
      expect(zombieChildren()).toEqual([]);
      expect(openFdCount()).toBe(fds);
      expect(execStackCount()).toBe(stacks);
      // Two mappings per leaked stack of any shape would show as +2000; V8's own come and go.
      expect(Math.abs(mappingCount() - maps)).toBeLessThan(200);
    });
  });
});

function readlinkSelf(fd: number): string {
  return spawnSync('readlink', [`/proc/${process.pid}/fd/${fd}`], {
    encoding: 'utf8',
  }).stdout.trim();
}
