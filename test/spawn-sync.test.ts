import { runSync } from '../lib';
import { DIST, openFdCount, traceSyscalls, zombieChildren } from './helpers';

describe('runSync', () => {
  it("gives run()'s result: input fed, stdout and stderr collected, the exit and the flags", () => {
    const result = runSync('/bin/sh', ['-c', 'tr a-z A-Z; echo done >&2; exit 3'], {
      input: 'hello',
    });
    expect(result).toMatchObject({
      stdout: 'HELLO',
      stderr: 'done\n',
      exitCode: 3,
      signal: null,
      coreDumped: false,
      timedOut: false,
      flags: 'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD',
    });
    expect(result.pid).toBeGreaterThan(0);
    expect(result.rusage.maxRSS).toBeGreaterThan(0);
    expect(result.elapsedMs).toBeGreaterThan(0);
  });

  it("takes args or leaves them out, and gives Buffers with encoding 'buffer'", () => {
    expect(runSync('/bin/pwd', { cwd: '/' }).stdout).toBe('/\n');
    const result = runSync('/bin/printf', ['\\x01\\x02'], { encoding: 'buffer' });
    expect(result.stdout).toEqual(Buffer.from([1, 2]));
    expect(runSync('/bin/echo', ['-n', 'hi'], { encoding: 'hex' }).stdout).toBe('6869');
  });

  it('moves more data each way than a pipe holds, without deadlock', () => {
    const input = Buffer.alloc(8 << 20, 'abc');
    const result = runSync('/bin/cat', [], { input, encoding: 'buffer', maxBuffer: 16 << 20 });
    expect(result.exitCode).toBe(0);
    expect(Buffer.compare(result.stdout as Buffer, input)).toBe(0);
  });

  it('sends killSignal after timeout, reports timedOut, and reaps', () => {
    const started = Date.now();
    const result = runSync('sleep', ['10'], { timeout: 50, killSignal: 'SIGKILL' });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(zombieChildren()).toEqual([]);
  });

  it('a grandchild holding stdout open keeps it only until the timeout', () => {
    const result = runSync('/bin/sh', ['-c', 'sleep 3 & echo started'], { timeout: 300 });
    // The shell itself exited at once; the kill closed our end of its stdout.
    expect(result).toMatchObject({ stdout: 'started\n', timedOut: true, exitCode: 0 });
  });

  it('kills the child past maxBuffer and throws a coded RangeError, as run() rejects', () => {
    let error: unknown;
    try {
      runSync('/bin/sh', ['-c', 'yes'], { maxBuffer: 1000 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    expect(zombieChildren()).toEqual([]);
    expect(() => runSync('/bin/echo', ['x'], { maxBuffer: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' }),
    );
    expect(runSync('/bin/echo', ['x'], { maxBuffer: 2 }).stdout).toBe('x\n');
  });

  it('ignores a child that does not read its input', () => {
    expect(runSync('/bin/true', [], { input: 'x'.repeat(4 << 20) })).toMatchObject({
      exitCode: 0,
    });
  });

  it('collects nothing from slots that are not pipes', () => {
    const result = runSync('/bin/sh', ['-c', 'echo out; echo err >&2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(result).toMatchObject({ stdout: '', stderr: 'err\n', exitCode: 0 });
  });

  it('throws a CloneError for a program that cannot run, and a coded error for a bad option', () => {
    expect(() => runSync('/nonexistent/program')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve' }),
    );
    expect(() => runSync('/bin/true', { cwd: '/nonexistent' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir' }),
    );
    // Nothing can abort a call that blocks.
    const signal = new AbortController().signal;
    expect(() => runSync('/bin/true', { signal } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => runSync('/bin/true', { timeout: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => runSync('/bin/true', { input: 5 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('leaves no descriptor open and no zombie behind', () => {
    runSync('/bin/true');
    const before = openFdCount();
    for (let i = 0; i < 50; i++) {
      runSync('/bin/sh', ['-c', 'cat; echo e >&2'], { input: 'x', timeout: 5000 });
      try {
        runSync('/nonexistent');
      } catch {
        // refused: counted below
      }
    }
    expect(openFdCount()).toBe(before);
    expect(zombieChildren()).toEqual([]);
  });

  it('waits in poll() on the pidfd and the pipes: no file is made, nothing spins', () => {
    // The child writes, pauses, writes: a busy loop would show as thousands of polls.
    const script = `const r = lib.runSync('/bin/sh', ['-c', 'echo a; sleep 0.3; echo b >&2'], { input: 'in' });
      if (r.stdout !== 'a\\n' || r.stderr !== 'b\\n') process.exit(1);`;
    const { result, trace } = traceSyscalls('poll,ppoll,openat,open,creat', [
      process.execPath,
      '-e',
      `const lib = require(${JSON.stringify(DIST)});\n${script}`,
    ]);
    expect(result.status).toBe(0);
    const lines = trace.split('\n');
    // libuv waits in epoll_wait: the polls are the sync loop's.
    const polls = lines.filter((line) => /\bpoll\(\[\{fd=\d+/.test(line));
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.length).toBeLessThan(20);
    expect(lines.filter((line) => /O_CREAT|O_TMPFILE|creat\(/.test(line))).toEqual([]);
  });
});
