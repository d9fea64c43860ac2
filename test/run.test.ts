import { clone, run, spawn, tasks } from '../lib';
import { openFdCount, zombieChildren } from './helpers';

describe('run', () => {
  it('feeds input and collects stdout and stderr as strings', async () => {
    const result = await run('/bin/sh', ['-c', 'tr a-z A-Z; echo done >&2'], { input: 'hello' });
    expect(result).toMatchObject({
      stdout: 'HELLO',
      stderr: 'done\n',
      exitCode: 0,
      signal: null,
      timedOut: false,
    });
    expect(result.flags).toBe('CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD');
  });

  it("gives Buffers with encoding 'buffer', and other encodings", async () => {
    const buffer = await run('/bin/printf', ['\\x01\\x02'], { encoding: 'buffer' });
    expect(buffer.stdout).toEqual(Buffer.from([1, 2]));
    expect((await run('/bin/echo', ['-n', 'hi'], { encoding: 'hex' })).stdout).toBe('6869');
  });

  it('resolves a non-zero exit: it is the program’s answer, not a library failure', async () => {
    await expect(run('/bin/sh', ['-c', 'exit 3'])).resolves.toMatchObject({ exitCode: 3 });
  });

  it('kills the child past maxBuffer and rejects with a coded RangeError', async () => {
    const error = await run('/bin/sh', ['-c', 'yes'], { maxBuffer: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    expect(zombieChildren()).toEqual([]);
  });

  it('sends killSignal after timeout and reports timedOut', async () => {
    const result = await run('sleep', ['10'], { timeout: 50, killSignal: 'SIGKILL' });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
    expect(result.elapsedMs).toBeLessThan(5000);
  });

  it('an AbortSignal kills the child and rejects with an AbortError', async () => {
    const controller = new AbortController();
    const pending = run('sleep', ['10'], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 30);
    await expect(pending).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORT_ERR',
      cause: new Error('enough'),
    });
    await expect(run('/bin/true', [], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORT_ERR',
    });
    expect(zombieChildren()).toEqual([]);
  });

  it('ignores a child that does not read its input', async () => {
    await expect(run('/bin/true', [], { input: 'x'.repeat(1 << 20) })).resolves.toMatchObject({
      exitCode: 0,
    });
  });
});

describe('bad input is refused with coded errors before anything is cloned, and nothing leaks', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['file not a string', () => spawn(42 as never), 'ERR_INVALID_ARG_TYPE'],
    ['empty file', () => spawn(''), 'ERR_INVALID_ARG_VALUE'],
    ['NUL in file', () => spawn('/bin/tr\0ue'), 'ERR_INVALID_ARG_VALUE'],
    ['args not strings', () => spawn('/bin/true', [1] as never), 'ERR_INVALID_ARG_TYPE'],
    ['NUL in an arg', () => spawn('/bin/true', ['a\0b']), 'ERR_INVALID_ARG_VALUE'],
    ['options not an object', () => spawn('/bin/true', [], 5 as never), 'ERR_INVALID_ARG_TYPE'],
    [
      'unknown option',
      () => spawn('/bin/true', [], { cdw: '/' } as never),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['bad flags type', () => spawn('/bin/true', [], { flags: 3 as never }), 'ERR_INVALID_ARG_TYPE'],
    [
      'unknown flag',
      () => spawn('/bin/true', [], { flags: 'CLONE_NEWPIDS' }),
      'ERR_UNKNOWN_CLONE_FLAG',
    ],
    ['unknown bits', () => spawn('/bin/true', [], { flags: 1n << 50n }), 'ERR_UNKNOWN_CLONE_FLAG'],
    [
      'refused flag',
      () => spawn('/bin/true', [], { flags: 'CLONE_FILES' }),
      'ERR_INVALID_CLONE_FLAGS',
    ],
    [
      'fastPath not boolean',
      () => spawn('/bin/true', [], { fastPath: 'no' as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    ['cwd not a string', () => spawn('/bin/true', [], { cwd: 1 as never }), 'ERR_INVALID_ARG_TYPE'],
    [
      'env not an object',
      () => spawn('/bin/true', [], { env: 'A=1' as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'env value not a string',
      () => spawn('/bin/true', [], { env: { A: 1 } as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'env key with =',
      () => spawn('/bin/true', [], { env: { 'A=B': '1' } }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'stdio bad string',
      () => spawn('/bin/true', [], { stdio: 'piped' as never }),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['stdio bad type', () => spawn('/bin/true', [], { stdio: 7 as never }), 'ERR_INVALID_ARG_TYPE'],
    [
      'stdio negative fd',
      () => spawn('/bin/true', [], { stdio: [-1] as never }),
      'ERR_OUT_OF_RANGE',
    ],
    ['stdio closed fd', () => spawn('/bin/true', [], { stdio: [987654] }), 'EBADF'],
    [
      'too many stdio slots',
      () => spawn('/bin/true', [], { stdio: new Array(2000).fill('ignore') }),
      'ERR_OUT_OF_RANGE',
    ],
    [
      'exitSignal unknown',
      () => spawn('/bin/true', [], { exitSignal: 'SIGFOO' as never }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'exitSignal out of range',
      () => spawn('/bin/true', [], { exitSignal: 99 }),
      'ERR_OUT_OF_RANGE',
    ],
    [
      'pdeathsig wrong type',
      () => spawn('/bin/true', [], { pdeathsig: true as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'setsid not boolean',
      () => spawn('/bin/true', [], { setsid: 1 as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
  ];

  it.each(cases)('%s', (_name, call, code) => {
    const fds = openFdCount();
    expect(call).toThrow(expect.objectContaining({ code }));
    expect(openFdCount()).toBe(fds);
  });

  it.each([
    ['maxBuffer negative', { maxBuffer: -1 }, 'ERR_OUT_OF_RANGE'],
    ['timeout not a number', { timeout: '5' }, 'ERR_INVALID_ARG_TYPE'],
    ['encoding unknown', { encoding: 'klingon' }, 'ERR_INVALID_ARG_VALUE'],
    ['input not bytes', { input: 5 }, 'ERR_INVALID_ARG_TYPE'],
    ['signal not an AbortSignal', { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    ['killSignal unknown', { killSignal: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE'],
  ])('run: %s', async (_name, options, code) => {
    await expect(run('/bin/true', [], options as never)).rejects.toMatchObject({ code });
  });

  it('kill refuses a bad signal', async () => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    expect(() => child.kill('SIGNOPE')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => child.kill(0.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await child.wait();
  });

  it.each([
    ['SIGKILL', 'cannot be handled'],
    ['SIGSEGV', "a fault signal reaches V8's fault handler"],
    ['SIGTERM', 'Node dies of it unless the program listens'],
    ['SIGUSR1', "Node's own handler starts the inspector"],
    ['SIGRT_1', 'the C library uses it (setuid broadcast)'],
    ['SIGUSR2', 'its default action ends Node'],
  ])('an exit signal that would hurt Node is refused: %s (%s)', (signal) => {
    expect(() => spawn('/bin/true', [], { exitSignal: signal as never })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_EXIT_SIGNAL' }),
    );
    expect(() => clone(tasks.exit(0), { exitSignal: signal as never })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_EXIT_SIGNAL' }),
    );
    expect(() => clone(tasks.exit(0), { flags: `CLONE_VM|${signal}` })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_EXIT_SIGNAL' }),
    );
  });

  it('an exit signal the program listens for, or that Node ignores, is allowed', async () => {
    await expect(clone(tasks.exit(0), { exitSignal: 'SIGPIPE' }).wait()).resolves.toMatchObject({
      exitCode: 0,
    });
    await expect(clone(tasks.exit(0), { exitSignal: 'SIGURG' }).wait()).resolves.toMatchObject({
      exitCode: 0,
    });
  });

  it('every refusal left no zombie behind', () => {
    expect(zombieChildren()).toEqual([]);
  });
});
