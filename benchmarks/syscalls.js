'use strict';
// Syscalls per spawn+wait made by the parent's main thread, as strace -c
// counts them: linux-clone's spawn and run(), child_process.spawn, and C
// posix_spawn. strace runs without -f, so it follows the first thread only
// (Node's main thread; neither its helper threads nor the children). Each
// contender runs a short and a long loop; the difference of their counts,
// divided by the difference of their lengths, cancels start-up and exit.
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');

const LIBRARY = require.resolve('..');
const SHORT = 10;
const LONG = 60;

/** A Node script that spawns `program` `count` times, one after another, through `how`. */
function nodeLoop(how, program, count) {
  const call = {
    'linux-clone': `lib.spawn(${JSON.stringify(program)}, [], { stdio: 'ignore' }).wait()`,
    'linux-clone run()': `lib.run(${JSON.stringify(program)})`,
    'child_process.spawn': `new Promise((resolve, reject) => require('node:child_process').spawn(${JSON.stringify(program)}, [], { stdio: 'ignore' }).on('exit', resolve).on('error', reject))`,
  }[how];
  return [
    process.execPath,
    '-e',
    `const lib = require(${JSON.stringify(LIBRARY)});
     (async () => { for (let i = 0; i < ${count}; i++) await ${call}; })();`,
  ];
}

/** strace -c's count of each syscall the first thread of `argv` made. */
function countSyscalls(argv) {
  const dir = mkdtempSync(join(os.tmpdir(), 'linux-clone-bench-strace-'));
  try {
    const out = join(dir, 'counts');
    const run = spawnSync('strace', ['-c', '-o', out, ...argv], { stdio: 'ignore' });
    if (run.status !== 0) throw new Error(`strace ${argv[0]}: status ${run.status}`);
    const counts = {};
    // % time, seconds, usecs/call, calls, [errors,] syscall
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const cells = line.trim().split(/\s+/);
      if (cells.length < 5 || !/^\d+(\.\d+)?$/.test(cells[0]) || cells.at(-1) === 'total') continue;
      counts[cells.at(-1)] = Number(cells[3]);
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per spawn: each syscall's count, from a short and a long loop. */
function perSpawn(loopOf) {
  const short = countSyscalls(loopOf(SHORT));
  const long = countSyscalls(loopOf(LONG));
  const each = {};
  for (const name of new Set([...Object.keys(short), ...Object.keys(long)])) {
    const n = ((long[name] ?? 0) - (short[name] ?? 0)) / (LONG - SHORT);
    if (n >= 0.05) each[name] = n;
  }
  return each;
}

function hasStrace() {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** { how, rows }: one row per contender, its syscalls per spawn in all and by name. */
function syscallsPerSpawn({ posixSpawn, program }) {
  if (!hasStrace()) return { how: 'not measured: strace not found', rows: [] };
  const loops = {
    'linux-clone': (n) => nodeLoop('linux-clone', program, n),
    'linux-clone run()': (n) => nodeLoop('linux-clone run()', program, n),
    'child_process.spawn': (n) => nodeLoop('child_process.spawn', program, n),
    'C posix_spawn': (n) => [posixSpawn, String(n), '0', program],
  };
  const rows = Object.entries(loops).map(([contender, loopOf]) => {
    const each = perSpawn(loopOf);
    const byCount = Object.entries(each).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return {
      contender,
      perSpawn: byCount.reduce((sum, [, n]) => sum + n, 0),
      syscalls: byCount.map(([name, n]) => `${name} ${Number(n.toFixed(2))}`).join(', '),
    };
  });
  return { how: `strace -c of the first thread, loops of ${SHORT} and ${LONG}`, rows };
}

module.exports = { syscallsPerSpawn };
