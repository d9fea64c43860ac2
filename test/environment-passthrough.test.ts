// Issue 16: without an `env` option, a child of the main thread whose
// process.env is Node's own gets the C library's environ untouched, and
// every other process.env (jest's copy, a reassigned object, a Proxy, a
// Worker's) is walked as before. The cases run in Nodes of their own
// (test/drivers/environment.js) started with ENV_PASSTHROUGH_RAW set to the
// byte 0xff: Node's env getter decodes it to U+FFFD, so the raw byte in the
// child proves that no getter walk and no re-encoding took place, and
// U+FFFD's three bytes prove the walk.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { childEnvironment, isProcessEnvironment } from '../lib/environment';
import { run } from '../lib';
import { DIST } from './helpers';

/** The child got the byte itself: environ passed through. */
const UNTOUCHED = 'ff';
/** The child got U+FFFD in UTF-8: process.env walked and re-encoded. */
const WALKED = 'efbfbd';

interface ChildView {
  raw: string | null;
  entries: string[];
}

/** Runs one case of the driver in a Node of its own, with the raw byte in its environment. */
function driverCase<T>(name: string): T {
  const result = spawnSync(
    '/bin/sh',
    [
      '-c',
      'ENV_PASSTHROUGH_RAW="$(printf "\\377")" exec "$@"',
      'sh',
      process.execPath,
      join(__dirname, 'drivers', 'environment.js'),
      name,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, LINUX_CLONE_DIST: DIST, ENV_PASSTHROUGH_GONE: 'gone' },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    },
  );
  if (result.status !== 0 || result.stderr !== '')
    throw new Error(`case ${name} ended with ${result.signal ?? result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as T;
}

describe("the main thread's own process.env: environ, untouched", () => {
  it('unchanged since start: byte for byte the environment the kernel gave Node', () => {
    expect(driverCase('unchanged')).toEqual({ raw: UNTOUCHED, sameAsStart: true });
  });

  it('after process.env.X = value: the child sees it, and still no walk', () => {
    const child = driverCase<ChildView>('set');
    expect(child.raw).toBe(UNTOUCHED);
    expect(child.entries).toContain('ENV_PASSTHROUGH_SET=set by Node');
  });

  it('after delete process.env.X: the child does not see it', () => {
    const child = driverCase<ChildView>('deleted');
    expect(child.raw).toBe(UNTOUCHED);
    expect(child.entries.filter((e) => e.startsWith('ENV_PASSTHROUGH_GONE='))).toEqual([]);
  });

  it('behind a getter: process.env is read once a spawn, with a PATH lookup or without', () => {
    expect(driverCase('getter')).toEqual({ raw: UNTOUCHED, readsByPath: 1, readsByName: 1 });
  });

  it('process.exit while a child runs: the child is killed with Node', () => {
    const { pid } = driverCase<{ pid: number }>('exit');
    const alive =
      existsSync(`/proc/${pid}`) &&
      readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('/bin/sleep\0');
    expect(alive).toBe(false);
  });
});

describe('any other process.env: walked as before', () => {
  it('reassigned to a copy: the copy is the environment; assigned back: environ again', () => {
    const seen = driverCase<{ copy: ChildView; only: string[]; back: string }>('reassigned');
    expect(seen.copy.raw).toBe(WALKED);
    expect(seen.copy.entries).toContain('ENV_PASSTHROUGH_COPY=copy');
    expect(seen.only).toEqual(['ONLY=this']);
    expect(seen.back).toBe(UNTOUCHED);
  });

  it('a Proxy: walked through its traps, and no probe ran defineProperty or deleteProperty', () => {
    const seen = driverCase<ChildView & { traps: Record<string, number> }>('proxy');
    expect(seen.raw).toBe(WALKED);
    expect(Object.keys(seen.traps).sort()).toEqual(['get', 'getOwnPropertyDescriptor', 'ownKeys']);
  });

  it("a Worker's own copy: what the worker set, not what the main thread set after it started", () => {
    const seen = driverCase<{ inside: ChildView; main: ChildView }>('worker');
    expect(seen.inside.raw).toBe(WALKED);
    expect(seen.inside.entries).toContain('ENV_PASSTHROUGH_WORKER=worker');
    expect(seen.inside.entries.some((e) => e.startsWith('ENV_PASSTHROUGH_MAIN_LATE='))).toBe(false);
    expect(seen.main.raw).toBe(UNTOUCHED);
    expect(seen.main.entries).toContain('ENV_PASSTHROUGH_MAIN_LATE=main');
    expect(seen.main.entries.some((e) => e.startsWith('ENV_PASSTHROUGH_WORKER='))).toBe(false);
  });

  it('a Worker with SHARE_ENV: walked in the worker, environ in the main thread, one environment', () => {
    const seen = driverCase<{ inside: ChildView; main: ChildView }>('shared');
    expect(seen.inside.raw).toBe(WALKED);
    expect(seen.inside.entries).toContain('ENV_PASSTHROUGH_SHARED=shared');
    expect(seen.main.raw).toBe(UNTOUCHED);
    expect(seen.main.entries).toContain('ENV_PASSTHROUGH_SHARED=shared');
  });

  it('a Worker terminated while it spawns: Node goes on spawning with environ', () => {
    expect(driverCase('terminated')).toEqual({ code: 1, raw: UNTOUCHED });
  });

  it('the env option: exactly what it holds', () => {
    expect(driverCase('given')).toEqual(['GIVEN=yes']);
  });

  it("jest's copy of process.env: a variable set in the test reaches the child", async () => {
    expect(isProcessEnvironment(process.env)).toBe(false);
    process.env.ENV_PASSTHROUGH_JEST = 'from the test';
    try {
      const { stdout } = await run('/usr/bin/printenv', ['ENV_PASSTHROUGH_JEST']);
      expect(stdout).toBe('from the test\n');
    } finally {
      delete process.env.ENV_PASSTHROUGH_JEST;
    }
  });
});

describe('the probe', () => {
  it('leaves a plain object as it was, and calls it not the environment', () => {
    const plain = { A: '1' };
    expect(isProcessEnvironment(plain)).toBe(false);
    expect(Reflect.ownKeys(plain)).toEqual(['A']);
    expect(isProcessEnvironment(Object.freeze({ A: '1' }))).toBe(false);
    expect(isProcessEnvironment(Object.create(null))).toBe(false);
    expect(isProcessEnvironment(null)).toBe(false);
    expect(isProcessEnvironment('A=1')).toBe(false);
  });

  it('runs no trap of a Proxy', () => {
    const handler = new Proxy(
      {},
      {
        get: (_target, trap) => () => {
          throw new Error(`trap ${String(trap)} ran`);
        },
      },
    );
    expect(isProcessEnvironment(new Proxy({}, handler))).toBe(false);
  });

  it('the env option is validated as before: undefined values left out, bad keys and values refused', () => {
    expect(childEnvironment({ A: '1', B: undefined }).envp).toEqual(['A=1']);
    expect(childEnvironment({ PATH: '/x' }).path()).toBe('/x');
    expect(() => childEnvironment({ 'A=B': '1' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => childEnvironment({ A: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => childEnvironment('A=1')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
