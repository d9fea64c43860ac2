'use strict';
// Create+join of a thread, in one run: a linux-clone thread task (joined
// with waitSync, and with wait()), the same raw clone in C, C pthread_create,
// and a worker_threads start+exit. Reports ratios within the run.
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');

const lib = require('..');
const { compileBaseline, parseArgs, report } = require('./harness');

function timeSync(iterations, once) {
  for (let i = 0; i < Math.min(100, iterations); i++) once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) once();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

async function timeAsync(iterations, once) {
  for (let i = 0; i < Math.min(20, iterations); i++) await once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

async function main() {
  const options = parseArgs(process.argv.slice(2), { iterations: 5000 });
  const task = lib.tasks.exit(0);
  const flags = lib.presets.thread;
  const stackSize = 64 * 1024; // as the C baseline
  const us = {};
  us['linux-clone thread (waitSync)'] = timeSync(options.iterations, () => lib.clone(task, { flags, stackSize }).waitSync());
  us['linux-clone thread (wait)'] = await timeAsync(options.iterations, () => lib.clone(task, { flags, stackSize }).wait());
  us['C raw clone'] = Number(execFileSync(compileBaseline('raw_clone'), [String(options.iterations)], { encoding: 'utf8' })) / 1000;
  us['C pthread_create'] =
    Number(execFileSync(compileBaseline('pthread'), [String(options.iterations)], { encoding: 'utf8' })) / 1000;
  const workers = Math.max(10, Math.round(options.iterations / 100));
  us['worker_threads'] = await timeAsync(workers, () => new Promise((resolve, reject) => {
    new Worker('', { eval: true }).on('exit', resolve).on('error', reject);
  }));
  const targets = [{
    'linux-clone (waitSync) / C raw clone': us['linux-clone thread (waitSync)'] / us['C raw clone'],
    'linux-clone (wait) / C raw clone': us['linux-clone thread (wait)'] / us['C raw clone'],
    'worker_threads / linux-clone': us['worker_threads'] / us['linux-clone thread (wait)'],
  }];
  report('threads', options, { rows: [{ iterations: options.iterations, us }], targets });
}

main().catch((error) => {
  console.error(error, error?.stack);
  process.exitCode = 1;
});
