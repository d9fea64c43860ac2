#!/usr/bin/env node
// Soak: many spawns and many threads in one Node, sampling what each could
// leak (open fds, mappings, RSS, unreaped children) and failing if any grew.
//
//   node --expose-gc scripts/soak.js [--spawns N] [--threads N] [--in-flight N]
//   LINUX_CLONE_SOAK=1 npx jest test/soak.test.ts   (100k of each; without
//   the variable the test runs 2,000 of each)
//
// Prints one JSON line: the samples taken after the warm-up and at the end,
// and what grew. Exits 1 if anything grew beyond its allowance.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { spawn, clone, presets, tasks } = require(path.join(__dirname, '..', 'dist'));

const { values } = parseArgs({
  options: {
    spawns: { type: 'string', default: '100000' },
    threads: { type: 'string', default: '100000' },
    'in-flight': { type: 'string', default: '8' },
  },
});
const counts = { spawns: Number(values.spawns), threads: Number(values.threads) };
const inFlight = Number(values['in-flight']);
for (const [name, n] of Object.entries({ ...counts, 'in-flight': inFlight })) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name} must be a whole number`);
}

/** What a leak would make grow: fds, mappings, RSS (KiB) and children not yet reaped. */
function sample() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]);
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
  const fds = fs.readdirSync('/proc/self/fd').length;
  let unreaped = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid) unreaped++;
    } catch {
      // it ended while we looked
    }
  }
  return { fds, maps, rssKiB, unreaped };
}

/** Runs `total` jobs, `inFlight` at a time; `warm` is called once, halfway. */
async function pool(total, job, warm) {
  let next = 0;
  let warmed = false;
  async function lane() {
    while (next < total) {
      next++;
      await job();
      if (!warmed && next >= total / 2) {
        warmed = true;
        warm();
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, lane));
  if (!warmed) warm();
}

/** The default spawn: three pipes, read to the end, the child awaited. */
async function spawnOne() {
  const child = spawn('true');
  const exit = await child.wait();
  if (exit.exitCode !== 0) throw new Error(`true exited ${exit.exitCode}`);
}

const devNull = fs.openSync('/dev/null', 'w');

/** A thread in Node's memory that writes through one of Node's fds, joined. */
async function threadOne() {
  const exit = await clone(tasks.write(devNull, 'soak'), { flags: presets.thread }).wait();
  if (exit.value !== 4) throw new Error(`thread wrote ${String(exit.value)} bytes`);
}

// The first half is the warm-up. Then fds and children must come back to
// where they were; mappings and RSS may still settle as Node's allocators
// grow their arenas (seen: +97 mappings and +15 MB between the 1,000th and
// the 4,000th spawn, +16 and +12 MB over the next 4,000, with the JS heap
// flat), so they get an allowance far below what a leak of one mapping or
// one KiB per child in the second half would add.
const mapsSlack = (total) => 64 + total / 20;
const RSS_SLACK_KIB = 32 * 1024;

async function phase(name, total, job) {
  let base = null;
  await pool(total, job, () => {
    global.gc?.();
    base = sample();
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  global.gc?.();
  const end = sample();
  const grew = [];
  if (end.fds > base.fds) grew.push(`fds ${base.fds} -> ${end.fds}`);
  if (end.maps > base.maps + mapsSlack(total)) grew.push(`maps ${base.maps} -> ${end.maps}`);
  if (end.unreaped > 0) grew.push(`unreaped ${end.unreaped}`);
  if (end.rssKiB > base.rssKiB + RSS_SLACK_KIB) grew.push(`rssKiB ${base.rssKiB} -> ${end.rssKiB}`);
  return { name, total, base, end, grew };
}

(async () => {
  const results = [
    await phase('spawn', counts.spawns, spawnOne),
    await phase('thread', counts.threads, threadOne),
  ];
  console.log(JSON.stringify(results));
  if (results.some((r) => r.grew.length > 0)) process.exitCode = 1;
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
