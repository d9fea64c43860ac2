'use strict';
// Create+join of a thread, in one run: a linux-clone thread task (joined
// with waitSync, with wait(), and cloned and joined in one cloneSync call), the same raw clone in C on a reused stack
// (as the library reuses its stacks) and on a fresh one, C pthread_create,
// and a worker_threads start+exit. Each line runs unpinned and pinned to one
// CPU (taskset): unpinned, a thread may start on an idle second vCPU, which
// on a VM takes 40-50 µs to wake, so those timings are bimodal, in C as in
// Node. The targets are ratios of pinned lines of this run.
const { execFileSync, spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
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

const STACK_SIZE = 64 * 1024; // as the C baseline
const MEASURE_ONLY = '--linux-clone-lines-only';

/** The linux-clone lines: µs per create+join of each, in this process. */
async function linuxCloneLines(iterations) {
  const task = lib.tasks.exit(0);
  const options = { flags: lib.presets.thread, stackSize: STACK_SIZE };
  const lines = {
    'linux-clone thread (waitSync)': () => lib.clone(task, options).waitSync(),
    'linux-clone thread (wait)': () => lib.clone(task, options).wait(),
    // The same clone and join in one call into the addon.
    'linux-clone cloneSync': () => lib.cloneSync(task, options),
  };
  const us = {};
  for (const [name, once] of Object.entries(lines)) us[name] = await timeUs(iterations, once);
  return us;
}

/** The first CPU this process may run on, where the pinned lines run; null without taskset. */
function pinnableCpu() {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const allowed = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return allowed === null ? null : Number(allowed[1]);
}

/** The linux-clone lines in a Node of their own, pinned to `cpu`. */
function pinnedLinuxCloneLines(cpu, iterations) {
  const run = spawnSync(
    'taskset',
    ['-c', String(cpu), process.execPath, __filename, MEASURE_ONLY, String(iterations)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`the pinned linux-clone run failed: ${run.status}`);
  return JSON.parse(run.stdout);
}

/** The C lines: µs per create+join, pinned to `cpu` when it is a number. */
function cLines(iterations, cpu) {
  const rawClone = compileBaseline('raw_clone');
  const pthread = compileBaseline('pthread');
  const run = (bin, args) =>
    cpu === null
      ? runBaseline(bin, args) / 1000
      : runBaseline('taskset', ['-c', cpu, bin, ...args]) / 1000;
  return {
    'C raw clone': run(rawClone, [iterations]),
    'C raw clone, fresh stack': run(rawClone, [iterations, 'fresh']),
    'C pthread_create': run(pthread, [iterations]),
  };
}

async function workerThreadsLine(iterations) {
  const workers = Math.max(5, Math.round(iterations / 100));
  return timeUs(
    workers,
    () =>
      new Promise((resolve, reject) => {
        new Worker('', { eval: true }).on('exit', resolve).on('error', reject);
      }),
  );
}

function targetsOf(pinned, unpinned) {
  const ratio = (us, name) => us[name] / us['C raw clone'];
  const targets = [];
  for (const [name, limit] of [
    ['linux-clone thread (waitSync)', 1.5],
    ['linux-clone thread (wait)', 1.5],
    ['linux-clone cloneSync', 1.3],
  ]) {
    if (unpinned[name] === undefined) continue;
    if (pinned !== null)
      targets.push({
        target: `${name} / C raw clone, pinned (<= ${limit})`,
        value: ratio(pinned, name),
      });
    targets.push({ target: `${name} / C raw clone, unpinned`, value: ratio(unpinned, name) });
  }
  targets.push({
    target: 'worker_threads / linux-clone thread (wait), unpinned',
    value: unpinned['worker_threads'] / unpinned['linux-clone thread (wait)'],
  });
  return targets;
}

async function run() {
  const options = parseArgs(process.argv.slice(2), { iterations: 5000 });
  const cpu = pinnableCpu();
  progress('threads: linux-clone, unpinned');
  const unpinned = await linuxCloneLines(options.iterations);
  progress('threads: C, unpinned');
  Object.assign(unpinned, cLines(options.iterations, null));
  progress('threads: worker_threads, unpinned');
  unpinned['worker_threads'] = await workerThreadsLine(options.iterations);
  let pinned = null;
  if (cpu !== null) {
    progress(`threads: linux-clone, pinned to CPU ${cpu}`);
    pinned = pinnedLinuxCloneLines(cpu, options.iterations);
    progress(`threads: C, pinned to CPU ${cpu}`);
    Object.assign(pinned, cLines(options.iterations, cpu));
  }
  const rows = Object.entries(unpinned).map(([contender, us]) => ({
    contender,
    us,
    'x C raw clone': us / unpinned['C raw clone'],
    pinnedUs: pinned?.[contender] ?? null,
    'pinned x C raw clone': pinned?.[contender] ? pinned[contender] / pinned['C raw clone'] : null,
  }));
  const targets = targetsOf(pinned, unpinned);
  const pinning = cpu === null ? 'none: taskset not found' : `CPU ${cpu} (taskset)`;
  await report('threads', options, {
    tables: { [`µs per create+join (us: unpinned; pinnedUs: ${pinning})`]: rows, targets },
    rows,
    targets,
    pinning,
    chartSpec: {
      title: 'thread create+join',
      data: {
        values: rows.flatMap((r) => [
          { contender: r.contender, placement: 'unpinned', us: r.us },
          ...(r.pinnedUs === null
            ? []
            : [{ contender: r.contender, placement: 'pinned', us: r.pinnedUs }]),
        ]),
      },
      mark: { type: 'point', filled: true, size: 120 },
      encoding: {
        y: { field: 'contender', type: 'nominal', sort: 'x', title: null },
        x: {
          field: 'us',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'µs per create+join (log)',
        },
        color: { field: 'placement', type: 'nominal' },
        shape: { field: 'placement', type: 'nominal' },
      },
      height: { step: 22 },
    },
  });
}

if (process.argv[2] === MEASURE_ONLY) {
  main(async () => {
    const us = await linuxCloneLines(Number(process.argv[3]));
    process.stdout.write(`${JSON.stringify(us)}\n`);
  });
} else {
  main(run);
}
