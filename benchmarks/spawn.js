'use strict';
// Spawn+wait of /bin/true in one run: linux-clone (vfork fast path and a
// fork-like flag set), child_process.spawn, and C posix_spawn, at Node's
// normal heap and with touched memory. Reports ratios within the run.
const { execFileSync, spawn: cpSpawn } = require('node:child_process');
const { join } = require('node:path');

const lib = require('..');
const { compileBaseline, parseArgs, report } = require('./harness');

const PROGRAM = '/bin/true';
const FIXED_ENV = { ...process.env };

async function timeEach(iterations, once) {
  for (let i = 0; i < Math.min(20, iterations); i++) await once(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - start) / iterations / 1000; // µs per spawn
}

const contenders = {
  'linux-clone': () => lib.spawn(PROGRAM, [], { stdio: 'ignore' }).wait(),
  // The same with an explicit environment: what building one from process.env costs shows as the difference.
  'linux-clone env given': () => lib.spawn(PROGRAM, [], { stdio: 'ignore', env: FIXED_ENV }).wait(),
  'linux-clone fork-like': () => lib.spawn(PROGRAM, [], { stdio: 'ignore', flags: lib.presets.process, fastPath: false }).wait(),
  'child_process.spawn': () =>
    new Promise((resolve, reject) => cpSpawn(PROGRAM, [], { stdio: 'ignore' }).on('exit', resolve).on('error', reject)),
};

async function main() {
  const options = parseArgs(process.argv.slice(2), { iterations: 300, heaps: [0, 1024] });
  const posixSpawn = compileBaseline('posix_spawn');
  const rows = [];
  for (const heapMiB of options.heaps) {
    // Touched memory as Buffers: resident, so a fork must copy its page tables.
    const ballast = [];
    for (let i = 0; i < heapMiB / 64; i++) ballast.push(Buffer.alloc(64 << 20, 1));
    const row = { heapMiB, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), us: {} };
    for (const [name, once] of Object.entries(contenders)) row.us[name] = await timeEach(options.iterations, once);
    const ns = execFileSync(posixSpawn, [String(options.iterations), String(heapMiB), PROGRAM], { encoding: 'utf8' });
    row.us['C posix_spawn'] = Number(ns) / 1000;
    rows.push(row);
    ballast.length = 0;
  }
  const targets = rows.map((row) => ({
    heapMiB: row.heapMiB,
    'child_process / linux-clone': row.us['child_process.spawn'] / row.us['linux-clone'],
    'linux-clone / C posix_spawn': row.us['linux-clone'] / row.us['C posix_spawn'],
    'fork-like / linux-clone': row.us['linux-clone fork-like'] / row.us['linux-clone'],
  }));
  report('spawn', options, { rows, targets });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
