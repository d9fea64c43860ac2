'use strict';
// The sum-array lab: one array summed by N threads, by N processes that
// share nothing, and by N processes that share memory (CLONE_VM).
const { clone, tasks, presets } = require('linux-clone');

const LENGTH = Number(process.argv[2] ?? 10_000_000);
const WORKERS = Number(process.argv[3] ?? 4);

async function sumWith(flags, array) {
  const chunk = Math.ceil(array.length / WORKERS);
  const children = [];
  for (let w = 0; w < WORKERS; w++) {
    const start = Math.min(w * chunk, array.length);
    children.push(
      clone(tasks.sumArray(array, start, Math.min(start + chunk, array.length)), { flags }),
    );
  }
  const exits = await Promise.all(children.map((child) => child.wait()));
  return exits.reduce((sum, exit) => sum + exit.value, 0);
}

async function main() {
  const array = new Int32Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) array[i] = i % 1000;
  const expected = array.reduce((a, b) => a + b, 0);
  for (const [name, flags] of [
    ['threads', presets.thread],
    ['processes', presets.process],
    ['CLONE_VM processes', 'CLONE_VM|SIGCHLD'],
  ]) {
    const started = process.hrtime.bigint();
    const sum = await sumWith(flags, array);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(
      `${name.padEnd(20)} sum ${sum} ${sum === expected ? 'ok' : `WRONG (expected ${expected})`} in ${ms.toFixed(1)} ms`,
    );
  }
}

main();
