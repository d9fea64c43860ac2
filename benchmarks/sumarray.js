'use strict';
// The sum-array lab on its own workload: 100,000,000 ints with values 0-999,
// filled before the clock, summed by N workers (1, 2, 4, 8, capped at the
// core count). Compares linux-clone threads, fork-like processes and
// CLONE_VM processes, worker_threads over a SharedArrayBuffer, one JS loop,
// and the lab's C programs at -O0 (as the lab builds them) and -O2.
const { availableParallelism } = require('node:os');
const { Worker } = require('node:worker_threads');

const lib = require('..');
const { compileBaseline, main, parseArgs, progress, report } = require('./harness');

const REPEATS = 3;

async function timeMs(once) {
  const times = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = process.hrtime.bigint();
    const sum = await once();
    times.push({ ms: Number(process.hrtime.bigint() - start) / 1e6, sum });
  }
  times.sort((a, b) => a.ms - b.ms);
  return times[Math.floor(times.length / 2)]; // the median
}

function slices(length, workers) {
  const chunk = Math.ceil(length / workers);
  return Array.from({ length: workers }, (_, w) => [
    Math.min(w * chunk, length),
    Math.min((w + 1) * chunk, length),
  ]);
}

async function cloneSum(array, workers, flags) {
  const children = slices(array.length, workers).map(([from, to]) =>
    lib.clone(lib.tasks.sumArray(array, from, to), { flags }),
  );
  const exits = await Promise.all(children.map((child) => child.wait()));
  return exits.reduce((sum, exit) => sum + exit.value, 0);
}

/** Workers started before the clock, each summing its slice of the shared array when asked. */
function workerPool(array, count) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const data = new Int32Array(workerData);
    parentPort.on('message', ([from, to]) => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += data[i];
      parentPort.postMessage(sum);
    });`;
  const workers = Array.from(
    { length: count },
    () => new Worker(code, { eval: true, workerData: array.buffer }),
  );
  return {
    async sum(n) {
      const results = slices(array.length, n).map(
        (range, w) =>
          new Promise((resolve) => {
            workers[w].once('message', resolve);
            workers[w].postMessage(range);
          }),
      );
      return (await Promise.all(results)).reduce((a, b) => a + b, 0);
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}

function jsLoop(array) {
  let sum = 0;
  for (let i = 0; i < array.length; i++) sum += array[i];
  return sum;
}

function runC(bin, length, workers) {
  const [ns, sum] = require('node:child_process')
    .execFileSync(bin, [String(length), String(workers)], { encoding: 'utf8' })
    .trim()
    .split(' ');
  return { ms: Number(ns) / 1e6, sum: Number(sum) };
}

async function run() {
  const options = parseArgs(process.argv.slice(2), {
    iterations: REPEATS,
    length: 100_000_000,
    quickLength: 100_000_000,
  });
  const cores = availableParallelism();
  const counts = (options.workers ?? [1, 2, 4, 8]).filter((n) => n <= cores);
  const length = options.length;
  const c = {
    'C threads -O0': compileBaseline('sum_array_threads', ['-O0'], '-O0'),
    'C threads -O2': compileBaseline('sum_array_threads', ['-O2'], '-O2'),
    'C processes -O0': compileBaseline('sum_array_processes', ['-O0'], '-O0'),
    'C processes -O2': compileBaseline('sum_array_processes', ['-O2'], '-O2'),
  };
  progress('sumarray: filling the array');
  const array = new Int32Array(new SharedArrayBuffer(length * 4));
  for (let i = 0; i < length; i++) array[i] = i % 1000;
  let expected = 0;
  for (let i = 0; i < length; i++) expected += i % 1000;
  const pool = workerPool(array, Math.max(...counts));

  const rows = [];
  const record = (contender, workers, result) => {
    if (result.sum !== expected)
      throw new Error(`${contender} with ${workers} summed ${result.sum}, not ${expected}`);
    rows.push({ contender, workers, ms: result.ms });
  };
  for (const n of counts) {
    progress(`sumarray: ${n} worker(s)`);
    record('linux-clone threads', n, await timeMs(() => cloneSum(array, n, lib.presets.thread)));
    record('linux-clone processes', n, await timeMs(() => cloneSum(array, n, lib.presets.process)));
    record(
      'linux-clone CLONE_VM processes',
      n,
      await timeMs(() => cloneSum(array, n, 'CLONE_VM|SIGCHLD')),
    );
    record('worker_threads (started before)', n, await timeMs(() => pool.sum(n)));
    for (const [name, bin] of Object.entries(c)) record(name, n, runC(bin, length, n));
  }
  record('one JS loop', 1, await timeMs(() => jsLoop(array)));
  await pool.close();

  const ms = (contender, n) => rows.find((r) => r.contender === contender && r.workers === n)?.ms;
  const ratios = counts.map((n) => ({
    workers: n,
    'linux-clone processes / threads':
      ms('linux-clone processes', n) / ms('linux-clone threads', n),
    'C -O2 processes / threads': ms('C processes -O2', n) / ms('C threads -O2', n),
    'linux-clone threads / C -O2 threads': ms('linux-clone threads', n) / ms('C threads -O2', n),
  }));
  await report('sumarray', options, {
    tables: { [`ms to sum ${length} ints (median of ${REPEATS})`]: rows, ratios },
    length,
    rows,
    ratios,
    chartSpec: {
      title: `sum of ${length} ints, ms (median of ${REPEATS})`,
      data: { values: rows },
      mark: 'bar',
      encoding: {
        y: { field: 'contender', type: 'nominal', title: null },
        x: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: { field: 'workers', type: 'nominal', title: 'workers' },
        yOffset: { field: 'workers', type: 'nominal' },
      },
      height: { step: 9 },
    },
  });
}

main(run);
