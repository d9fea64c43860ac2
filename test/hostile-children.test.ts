// Issue 14, item 4: every task can be stopped. A write task to a pipe nobody
// reads used to block in write(2) with every signal blocked: close() never
// returned, process.exit() hung, and a killed Node left the child running.
// Each case that could hang runs in a Node of its own, bounded by a timeout.
import { spawn as nodeSpawn, spawnSync, execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  closeSync,
  readSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, presets, tasks } from '../lib';
import { DIST, processRunning, sleep } from './helpers';

jest.setTimeout(60000);

const SHARING_PROCESS = 'CLONE_VM|CLONE_SIGHAND|SIGCHLD';
const MIB = 1 << 20;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'linux-clone-hostile-'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script for a Node of its own: `fd` is a FIFO opened read-write that nobody reads. */
function withFullPipe(body: string): string {
  return `const lib = require(${JSON.stringify(DIST)});
const fd = require('node:fs').openSync(${JSON.stringify(join(dir, 'fifo'))}, 'r+');
${body}`;
}

function runBounded(script: string) {
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
}

describe('a write task to a pipe nobody reads (item 4)', () => {
  it.each([
    ['presets.thread', 'lib.presets.thread'],
    [SHARING_PROCESS, JSON.stringify(SHARING_PROCESS)],
  ])('close() returns, with %s', (_name, flags) => {
    const result = runBounded(
      withFullPipe(`const child = lib.clone(lib.tasks.write(fd, Buffer.alloc(${MIB})), { flags: ${flags} });
setTimeout(() => {
  child.close();
  console.log(JSON.stringify({ exitCode: child.exitInfo.exitCode, value: child.exitInfo.value ?? null }));
}, 100);`),
    );
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    // Stopped before it could write everything.
    const exit = JSON.parse(result.stdout) as { exitCode: number | null; value: number | null };
    expect(exit.value).not.toBe(MIB);
  });

  it.each([
    ['presets.thread', 'lib.presets.thread'],
    [SHARING_PROCESS, JSON.stringify(SHARING_PROCESS)],
  ])('process.exit() ends Node at once, with %s', (_name, flags) => {
    const result = runBounded(
      withFullPipe(`lib.clone(lib.tasks.write(fd, Buffer.alloc(${MIB})), { flags: ${flags} });
setTimeout(() => process.exit(0), 100);`),
    );
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
  });

  it(`a ${SHARING_PROCESS} child dies with a SIGKILLed Node`, async () => {
    const node = nodeSpawn(
      process.execPath,
      [
        '-e',
        withFullPipe(`const child = lib.clone(lib.tasks.write(fd, Buffer.alloc(${MIB})), { flags: ${JSON.stringify(SHARING_PROCESS)} });
console.log(child.pid);
setInterval(() => {}, 1000);`),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve) =>
      node.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
    );
    expect(processRunning(pid)).toBe(true);
    const ended = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGKILL');
    await ended;
    for (let i = 0; i < 500 && processRunning(pid); i++) await sleep(10);
    expect(processRunning(pid)).toBe(false);
  });

  it('a write task that shares Node’s handlers still writes everything to a pipe that is read', () => {
    const fd = openSync(join(dir, 'fifo'), 'r+');
    try {
      const data = Buffer.alloc(MIB);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      const child = clone(tasks.write(fd, data), { flags: presets.thread });
      const received = Buffer.alloc(MIB);
      for (let got = 0; got < MIB;) got += readSync(fd, received, got, MIB - got, null);
      const exit = child.waitSync();
      expect(exit.exitCode).toBe(0);
      expect(exit.value).toBe(MIB);
      expect(received.equals(data)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('CLONE_VFORK is refused for a write task to a pipe (nothing could stop it), allowed to a file', () => {
    const fd = openSync(join(dir, 'fifo'), 'r+');
    try {
      expect(() =>
        clone(tasks.write(fd, Buffer.alloc(MIB)), { flags: 'CLONE_VM|CLONE_VFORK|SIGCHLD' }),
      ).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_INVALID_CLONE_FLAGS' }));
    } finally {
      closeSync(fd);
    }
    const file = join(dir, 'file');
    writeFileSync(file, '');
    const fileFd = openSync(file, 'w');
    try {
      const exit = clone(tasks.write(fileFd, 'written under vfork'), {
        flags: 'CLONE_VM|CLONE_VFORK|SIGCHLD',
      }).waitSync();
      expect(exit.value).toBe('written under vfork'.length);
      expect(readFileSync(file, 'utf8')).toBe('written under vfork');
    } finally {
      closeSync(fileFd);
    }
  });
});
