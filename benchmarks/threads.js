'use strict';
// Create+join of a thread, in one run: a linux-clone thread task (joined
// with waitSync, and with wait()), the same raw clone in C, C pthread_create,
// and a worker_threads start+exit. Reports ratios within the run.
const { Worker } = require('node:worker_threads');

const lib = require('..');
const {
  compileBaseline,
  main,
  parseArgs,
  progress,
  report,
  runBaseline,
  timeUs,
} = require('./harness');

async function run() {
  const options = parseArgs(process.argv.slice(2), { iterations: 5000 });
  const task = lib.tasks.exit(0);
  const flags = lib.presets.thread;
  const stackSize = 64 * 1024; // as the C baseline
  const us = {};
  progress('threads: linux-clone');
  us['linux-clone thread (waitSync)'] = await timeUs(options.iterations, () =>
    lib.clone(task, { flags, stackSize }).waitSync(),
  );
  us['linux-clone thread (wait)'] = await timeUs(options.iterations, () =>
    lib.clone(task, { flags, stackSize }).wait(),
  );
  progress('threads: C');
  us['C raw clone'] = runBaseline(compileBaseline('raw_clone'), [options.iterations]) / 1000;
  us['C pthread_create'] = runBaseline(compileBaseline('pthread'), [options.iterations]) / 1000;
  progress('threads: worker_threads');
  const workers = Math.max(5, Math.round(options.iterations / 100));
  us['worker_threads'] = await timeUs(
    workers,
    () =>
      new Promise((resolve, reject) => {
        new Worker('', { eval: true }).on('exit', resolve).on('error', reject);
      }),
  );
  const rows = Object.entries(us).map(([contender, value]) => ({
    contender,
    us: value,
    'x C raw clone': value / us['C raw clone'],
  }));
  const targets = [
    {
      target: 'linux-clone thread (wait) / C raw clone (<= 1.3)',
      value: us['linux-clone thread (wait)'] / us['C raw clone'],
    },
    {
      target: 'linux-clone thread (waitSync) / C raw clone (<= 1.3)',
      value: us['linux-clone thread (waitSync)'] / us['C raw clone'],
    },
    {
      target: 'worker_threads / linux-clone thread (wait)',
      value: us['worker_threads'] / us['linux-clone thread (wait)'],
    },
  ];
  await report('threads', options, {
    tables: { 'µs per create+join': rows, targets },
    rows,
    targets,
    chartSpec: {
      title: 'thread create+join',
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 120 },
      encoding: {
        y: { field: 'contender', type: 'nominal', sort: 'x', title: null },
        x: {
          field: 'us',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'µs per create+join (log)',
        },
      },
      height: { step: 22 },
    },
  });
}

main(run);
