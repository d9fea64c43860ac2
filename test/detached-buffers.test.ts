// Issue 14, item 2: memory a task reads outlives whatever JS does to the
// buffer under it. A transferred ArrayBuffer and a GC used to free the
// memory a CLONE_VM task was summing: SIGSEGV. Runs in a Node of its own
// (--expose-gc), so a crash fails the test instead of ending jest.
import { spawnSync } from 'node:child_process';
import { DIST } from './helpers';

jest.setTimeout(60000);

function runWithGc(body: string) {
  return spawnSync(
    process.execPath,
    ['--expose-gc', '-e', `const lib = require(${JSON.stringify(DIST)});\n${body}`],
    { encoding: 'utf8', timeout: 50000 },
  );
}

describe('a buffer detached, transferred or resized under a running task (item 2)', () => {
  it('transfer and GC under a thread summing an ArrayBuffer: the right sum, 100 of 100, no crash', () => {
    const result = runWithGc(`const sums = [];
for (let round = 0; round < 100; round++) {
  const ab = new ArrayBuffer(4 << 20);
  new Int32Array(ab).fill(1);
  const child = lib.clone(lib.tasks.sumArray(new Int32Array(ab)), { flags: lib.presets.thread });
  structuredClone(ab, { transfer: [ab] });
  globalThis.gc();
  new Int32Array(4 << 20).fill(-7); // memory the freed buffer's may be reused for
  sums.push(child.waitSync().value);
}
console.log(JSON.stringify([...new Set(sums)]));`);
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    expect(JSON.parse(result.stdout)).toEqual([1 << 20]);
  });

  it('a resizable ArrayBuffer shrunk after sumArray(): a coded RangeError or the right sum, never a crash', () => {
    const result = runWithGc(`const outcomes = new Set();
for (let round = 0; round < 50; round++) {
  const ab = new ArrayBuffer(1 << 20, { maxByteLength: 4 << 20 });
  new Int32Array(ab).fill(2);
  const task = lib.tasks.sumArray(new Int32Array(ab, 0, 1 << 18));
  if (round % 2) ab.resize(16);
  try {
    const child = lib.clone(task, { flags: lib.presets.thread });
    ab.resize(0);
    globalThis.gc();
    outcomes.add(String(child.waitSync().value));
  } catch (error) {
    outcomes.add(error.name + ' ' + error.code);
  }
}
console.log(JSON.stringify([...outcomes].sort()));`);
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
    expect(JSON.parse(result.stdout)).toEqual([String(2 << 18), 'RangeError ERR_OUT_OF_RANGE']);
  });
});
