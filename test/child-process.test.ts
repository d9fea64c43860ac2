// linux-clone/child_process: Node's child_process API with every child
// cloned by linux-clone. Each behaviour is compared with node:child_process
// itself where Node defines it, and the cloning is seen under strace.
import * as nodeChildProcess from 'node:child_process';
import * as net from 'node:net';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import * as ours from '../lib/child-process';
import { itWith, openFdCount, ROOT, traceSyscalls, zombieChildren } from './helpers';

type AnyChild = nodeChildProcess.ChildProcess;

/** Every child a test made through either module, killed after the test if it still runs. */
const made: AnyChild[] = [];
afterEach(() => {
  for (const child of made.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Resolves with the events of `child`, in order, once it has closed (or failed to spawn). */
function eventsOf(child: AnyChild): Promise<unknown[]> {
  made.push(child);
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    child.on('spawn', () => seen.push('spawn'));
    child.on('exit', (code, signal) => seen.push(['exit', code, signal]));
    child.on('error', (error: NodeJS.ErrnoException) => {
      seen.push(['error', error.code]);
      resolve(seen);
    });
    child.on('close', (code, signal) => {
      seen.push(['close', code, signal]);
      resolve(seen);
    });
  });
}

function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream!.setEncoding('utf8');
    stream!.on('data', (chunk: string) => (text += chunk));
    stream!.on('end', () => resolve(text));
    stream!.on('error', reject);
  });
}

/** The fields Node gives a system error, to compare ours with Node's. */
function errorFields(error: unknown): Record<string, unknown> {
  const e = error as NodeJS.ErrnoException & { spawnargs?: string[] };
  return {
    name: e.name,
    message: e.message,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    path: e.path,
    spawnargs: e.spawnargs,
  };
}

const CHILD_DIST = join(ROOT, 'dist', 'child-process', 'index.js');

function nodeScript(script: string, timeout = 30000): nodeChildProcess.SpawnSyncReturns<string> {
  return nodeChildProcess.spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout,
  });
}

describe('linux-clone/child_process: the children are cloned', () => {
  itWith('strace')(
    'spawn, execFile and fork clone with CLONE_VM|CLONE_VFORK; Node alone forks',
    () => {
      const script = `
      const cp = require(${JSON.stringify(CHILD_DIST)});
      cp.spawn('/bin/true').on('close', () =>
        cp.execFile('/bin/true', () =>
          cp.fork('-e', ['0'], { execArgv: [] }).on('close', () =>
            require('node:child_process').spawn('/bin/echo', ['node']))));`;
      const { result, trace } = traceSyscalls('clone,clone3,fork,vfork', [
        process.execPath,
        '-e',
        script,
      ]);
      expect(result.status).toBe(0);
      // strace pads a pid shorter than 5 digits with spaces.
      const creations = trace
        .split('\n')
        .filter((line) => /^\d+ +(clone3?|v?fork)\(/.test(line) && !line.includes('CLONE_THREAD'));
      const vforks = creations.filter(
        (line) => /CLONE_VM\b/.test(line) && /CLONE_VFORK\b/.test(line),
      );
      // node:child_process itself is untouched: its child is Node's own fork (libuv).
      // (The trace shows on a failure.)
      expect({ vforks: vforks.length, creations: creations.length }).toEqual(
        vforks.length === 3 && creations.length === 4
          ? { vforks: 3, creations: 4 }
          : { vforks: 3, creations: 4, trace },
      );
    },
  );

  it('a child of node:child_process keeps Node’s process handle; ours has the clone handle', () => {
    const mine = ours.spawn('/bin/true');
    const nodes = nodeChildProcess.spawn('/bin/true');
    const handleName = (child: AnyChild) =>
      (child as unknown as { _handle: object })._handle.constructor.name;
    expect([handleName(mine), handleName(nodes)]).toEqual(['CloneProcessHandle', 'Process']);
    return Promise.all([eventsOf(mine), eventsOf(nodes)]);
  });
});

describe('linux-clone/child_process: spawn', () => {
  it('emits spawn, exit and close as Node does, with the output and the exit status', async () => {
    const script = 'read line; echo "out:$line"; echo err >&2; exit 3';
    const run = async (module: typeof nodeChildProcess) => {
      const child = module.spawn('sh', ['-c', script]);
      const events = eventsOf(child);
      child.stdin.end('hello\n');
      const [stdout, stderr] = await Promise.all([collect(child.stdout), collect(child.stderr)]);
      return {
        events: await events,
        stdout,
        stderr,
        exitCode: child.exitCode,
        signalCode: child.signalCode,
        pid: typeof child.pid,
        spawnfile: child.spawnfile,
        spawnargs: child.spawnargs,
      };
    };
    const [mine, nodes] = await Promise.all([run(ours), run(nodeChildProcess)]);
    expect(mine).toEqual(nodes);
    expect(mine.events).toEqual(['spawn', ['exit', 3, null], ['close', 3, null]]);
    expect(mine.stdout).toBe('out:hello\n');
  });

  it('a program not found is an async error with Node’s fields, and no pid', async () => {
    const errors = await Promise.all(
      [ours, nodeChildProcess].map(
        (module) =>
          new Promise((resolve) => {
            const child = module.spawn('no-such-program-here', ['a', 'b']);
            child.on('error', (error) => resolve({ ...errorFields(error), pid: child.pid }));
          }),
      ),
    );
    expect(errors[0]).toEqual(errors[1]);
    expect(errors[0]).toMatchObject({ code: 'ENOENT', errno: -2, pid: undefined });
  });

  it('a missing cwd and a program that cannot run are async errors as in Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-cp-'));
    const notExecutable = join(dir, 'data');
    writeFileSync(notExecutable, 'not a program');
    const failures = (module: typeof nodeChildProcess) =>
      Promise.all(
        [
          module.spawn('/bin/true', [], { cwd: join(dir, 'missing') }),
          module.spawn(notExecutable),
        ].map(
          (child) => new Promise((resolve) => child.on('error', (e) => resolve(errorFields(e)))),
        ),
      );
    const [mine, nodes] = await Promise.all([failures(ours), failures(nodeChildProcess)]);
    expect(mine).toEqual(nodes);
    expect(mine.map((e) => (e as { code: string }).code)).toEqual(['ENOENT', 'EACCES']);
  });

  it('kill() ends the child with the signal; after the exit it returns false', async () => {
    const child = ours.spawn('sleep', ['30']);
    await new Promise((resolve) => child.on('spawn', resolve));
    expect(child.kill()).toBe(true);
    expect(await eventsOf(child)).toEqual([
      ['exit', null, 'SIGTERM'],
      ['close', null, 'SIGTERM'],
    ]);
    expect(child.killed).toBe(true);
    expect(child.kill('SIGKILL')).toBe(false);
    const second = ours.spawn('sleep', ['30'], { stdio: 'ignore' });
    expect(second.kill(0)).toBe(true);
    second.kill('SIGKILL');
    expect((await eventsOf(second)).at(-1)).toEqual(['close', null, 'SIGKILL']);
  });

  it("stdio 'ignore' is /dev/null, 'inherit' and fds are the parent's fds, as Node gives them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-cp-'));
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    try {
      const child = ours.spawn(
        'sh',
        ['-c', 'readlink /proc/self/fd/0; echo to-fd-1; echo to-3 >&3'],
        {
          stdio: ['ignore', fd, 'inherit', fd],
        },
      );
      expect(child.stdin).toBeNull();
      expect(child.stdout).toBeNull();
      expect(child.stdio).toEqual([null, null, null, null]);
      expect((await eventsOf(child)).at(-1)).toEqual(['close', 0, null]);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('/dev/null\nto-fd-1\nto-3\n');
  });

  it('an extra pipe is two-way, as Node’s pipes are socketpairs', async () => {
    const child = ours.spawn('sh', ['-c', 'read line <&3; echo "got $line" >&3'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const extra = child.stdio[3] as net.Socket;
    extra.write('ping\n');
    expect(await collect(extra)).toBe('got ping\n');
    expect((await eventsOf(child)).at(-1)).toEqual(['close', 0, null]);
  });

  it('uid and gid set the child’s ids, as Node sets them', async () => {
    const ids = (module: typeof nodeChildProcess) => {
      const child = module.spawn('sh', ['-c', 'id -u; id -g; id -G'], { uid: 65534, gid: 65533 });
      return collect(child.stdout);
    };
    const [mine, nodes] = await Promise.all([ids(ours), ids(nodeChildProcess)]);
    expect(mine).toBe(nodes);
    expect(mine).toBe('65534\n65533\n65533\n');
  });

  it('detached children lead their own session', async () => {
    const child = ours.spawn('sh', ['-c', 'ps -o sid= -p $$; echo $$'], { detached: true });
    const [sid, pid] = (await collect(child.stdout)).trim().split(/\s+/);
    expect(sid).toBe(pid);
    expect(Number(pid)).toBe(child.pid);
  });

  it('leaves no fd and no zombie behind', async () => {
    const before = openFdCount();
    for (let i = 0; i < 20; i++) {
      const child = ours.spawn('sh', ['-c', 'cat; echo done'], {
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      });
      child.stdin.end('x');
      await eventsOf(child);
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Fds of earlier tests may still be closing: none of ours may be added.
    expect(openFdCount()).toBeLessThanOrEqual(before);
    expect(zombieChildren()).toEqual([]);
  });
});

describe('linux-clone/child_process: exec and execFile', () => {
  it('callbacks and util.promisify give Node’s results and error fields', async () => {
    const outcome = async (module: typeof nodeChildProcess) => {
      const ok = await promisify(module.exec)('echo $((6*7)); echo e >&2');
      const failure = await promisify(module.execFile)('sh', ['-c', 'echo partial; exit 4']).catch(
        (error: Record<string, unknown>) => error,
      );
      const viaCallback = await new Promise((resolve) =>
        module.execFile('sh', ['-c', 'printf abc'], { encoding: 'buffer' }, (error, stdout) =>
          resolve([error, stdout]),
        ),
      );
      const { code, killed, signal, cmd, stdout, stderr, message } = failure;
      return { ok, failure: { code, killed, signal, cmd, stdout, stderr, message }, viaCallback };
    };
    const [mine, nodes] = await Promise.all([outcome(ours), outcome(nodeChildProcess)]);
    expect(mine).toEqual(nodes);
    expect(mine.ok).toEqual({ stdout: '42\n', stderr: 'e\n' });
    expect(mine.failure.code).toBe(4);
    expect(mine.viaCallback).toEqual([null, Buffer.from('abc')]);
  });

  it('the promise carries the child, an instance of this module’s ChildProcess', () => {
    const promise = promisify(ours.execFile)('/bin/true');
    expect(promise.child).toBeInstanceOf(ours.ChildProcess);
    expect(promise.child).toBeInstanceOf(nodeChildProcess.ChildProcess);
    return promise;
  });

  it('timeout and killSignal end the child as Node does; so does maxBuffer', async () => {
    const timed = await new Promise<Record<string, unknown>>((resolve) =>
      ours.execFile('sleep', ['30'], { timeout: 50, killSignal: 'SIGINT' }, (error) =>
        resolve(error as unknown as Record<string, unknown>),
      ),
    );
    expect({ killed: timed.killed, signal: timed.signal, code: timed.code }).toEqual({
      killed: true,
      signal: 'SIGINT',
      code: null,
    });
    const flooded = await new Promise<Record<string, unknown>>((resolve) =>
      ours.exec('yes', { maxBuffer: 1000 }, (error) =>
        resolve(error as unknown as Record<string, unknown>),
      ),
    );
    expect(flooded.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
  });

  it('an AbortSignal aborts the child', async () => {
    const controller = new AbortController();
    const child = ours.execFile('sleep', ['30'], { signal: controller.signal }, () => {});
    const events = eventsOf(child);
    controller.abort();
    expect(await events).toEqual([['error', 'ABORT_ERR']]);
    expect(await new Promise((resolve) => child.on('close', (...args) => resolve(args)))).toEqual([
      null,
      'SIGTERM',
    ]);
  });
});

describe('linux-clone/child_process: bad input', () => {
  type Module = typeof nodeChildProcess;
  const cases: Array<[string, (m: Module) => unknown]> = [
    ['a number for the file', (m) => m.spawn(5 as unknown as string)],
    ['an empty file', (m) => m.spawn('')],
    ['a NUL in the file', (m) => m.spawn('a\0b')],
    ['a NUL in an argument', (m) => m.spawn('/bin/true', ['a\0b'])],
    ['a NUL in the environment', (m) => m.spawn('/bin/true', { env: { A: 'x\0y' } })],
    ['cwd of the wrong type', (m) => m.spawn('/bin/true', { cwd: 5 as unknown as string })],
    ['a bad stdio string', (m) => m.spawn('/bin/true', { stdio: 'nonsense' as 'pipe' })],
    ['a negative uid', (m) => m.spawn('/bin/true', { uid: -1 })],
    ['a bad kill signal', (m) => m.spawn('/bin/true', { killSignal: 'SIGNOPE' as 'SIGTERM' })],
    ['a bad serialization', (m) => m.fork('x', { serialization: 'xml' as 'json' })],
    ['exec without a command', (m) => m.exec(undefined as unknown as string)],
    ['execFile with options of the wrong type', (m) => m.execFile('/bin/true', [], 7 as never)],
  ];
  const thrownBy = (call: () => unknown): unknown => {
    try {
      call();
    } catch (error) {
      return error;
    }
    return undefined;
  };
  it.each(cases)('%s throws Node’s own error before anything is cloned', (_, call) => {
    const thrown = thrownBy(() => call(ours));
    expect((thrown as { code?: unknown } | undefined)?.code).toEqual(expect.any(String));
    expect(errorFields(thrown)).toEqual(errorFields(thrownBy(() => call(nodeChildProcess))));
    // The route is closed again: Node's next spawn is its own.
    const next = nodeChildProcess.spawn('/bin/true', { stdio: 'ignore' });
    expect((next as unknown as { _handle: object })._handle.constructor.name).toBe('Process');
  });
});

describe('linux-clone/child_process: fork and IPC', () => {
  const echo = `process.on('message', (m) => { if (m === 'bye') process.disconnect(); else process.send({ echo: m }); });`;

  it.each(['json', 'advanced'] as const)(
    '%s messages go both ways; disconnect ends the child',
    async (serialization) => {
      const dir = mkdtempSync(join(tmpdir(), 'linux-clone-cp-'));
      const module = join(dir, 'echo.js');
      writeFileSync(module, echo);
      const child = ours.fork(module, { serialization });
      made.push(child);
      const message =
        serialization === 'advanced' ? { big: 10n, map: new Map([[1, 2]]) } : { n: [1, 'two'] };
      const reply = await new Promise((resolve) => {
        child.once('message', resolve);
        expect(child.send(message)).toBe(true);
      });
      expect(reply).toEqual({ echo: message });
      const disconnected = new Promise((resolve) => child.on('disconnect', resolve));
      child.send('bye');
      await disconnected;
      expect(child.connected).toBe(false);
      expect((await eventsOf(child)).at(-1)).toEqual(['close', 0, null]);
    },
  );

  it('a server handle sent to the child is usable there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-cp-'));
    const module = join(dir, 'serve.js');
    writeFileSync(
      module,
      `process.on('message', (m, server) => { server.on('connection', (s) => s.end('from child ' + process.pid)); process.send('ready'); });`,
    );
    const child = ours.fork(module);
    made.push(child);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise((resolve) => {
      child.once('message', resolve);
      child.send('server', server);
    });
    const { port } = server.address() as net.AddressInfo;
    server.close();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
    });
    expect(answer).toBe(`from child ${child.pid}`);
    child.kill();
    await eventsOf(child);
  });
});

describe('linux-clone/child_process: the module', () => {
  it('new ChildProcess().spawn() clones too, with Node’s validation', async () => {
    const child = new ours.ChildProcess();
    // spawn(options) is Node's own, undocumented (and untyped) method.
    const spawnWith = (options: object) =>
      (child as unknown as { spawn(options: object): void }).spawn(options);
    expect(() => spawnWith({ file: 5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    spawnWith({ file: '/bin/sh', args: ['sh', '-c', 'exit 7'], stdio: 'ignore' });
    expect((child as unknown as { _handle: object })._handle.constructor.name).toBe(
      'CloneProcessHandle',
    );
    expect(await eventsOf(child)).toEqual(['spawn', ['exit', 7, null], ['close', 7, null]]);
  });

  it('import and require of linux-clone/child_process give the same functions; default is the module', () => {
    const script = `
      import * as esm from 'linux-clone/child_process';
      import cp from 'linux-clone/child_process';
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)('linux-clone/child_process');
      const names = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync', 'ChildProcess'];
      console.log(JSON.stringify(names.map((n) => [n, typeof esm[n] === 'function' && esm[n] === cjs[n] && cp[n] === cjs[n]])));`;
    const result = nodeChildProcess.spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    for (const [name, same] of JSON.parse(result.stdout) as Array<[string, boolean]>)
      expect([name, same]).toEqual([name, true]);
  });

  it('children outlive Node, as node:child_process leaves them', () => {
    const result = nodeScript(`
      const cp = require(${JSON.stringify(CHILD_DIST)});
      const kept = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
      const detached = cp.spawn('sleep', ['30'], { stdio: 'ignore', detached: true });
      kept.unref(); detached.unref();
      console.log(kept.pid, detached.pid);`);
    expect(result.stderr).toBe('');
    const pids = result.stdout.trim().split(' ').map(Number);
    try {
      for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    }
  });
});
