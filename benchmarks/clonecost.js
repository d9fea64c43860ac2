'use strict';
// What each flag costs: clone+wait of a task that exits at once, with one
// sharing flag or one namespace flag added to a plain process (SIGCHLD),
// against that process in the same run. NEWNET is known to be slow.
const lib = require('..');
const { main, parseArgs, progress, report, timeUs } = require('./harness');

const SHARING = [
  'CLONE_VM',
  'CLONE_FS',
  'CLONE_FILES',
  'CLONE_VM|CLONE_SIGHAND',
  'CLONE_SYSVSEM',
  'CLONE_IO',
  'CLONE_VM|CLONE_VFORK',
];
const NAMESPACES = [
  'CLONE_NEWNS',
  'CLONE_NEWUTS',
  'CLONE_NEWIPC',
  'CLONE_NEWPID',
  'CLONE_NEWNET',
  'CLONE_NEWCGROUP',
  'CLONE_NEWUSER',
  'CLONE_NEWTIME',
];
/** Namespaces whose creation or teardown costs milliseconds get fewer iterations. */
const SLOW = new Set(['CLONE_NEWNET']);

function cloneWaitUs(flags, iterations) {
  const task = lib.tasks.exit(0);
  return timeUs(iterations, () => lib.clone(task, { flags, stackSize: 64 * 1024 }).wait(), 5);
}

async function run() {
  const options = parseArgs(process.argv.slice(2), { iterations: 300 });
  const rows = [];
  const baseline = await cloneWaitUs('SIGCHLD', options.iterations);
  rows.push({ kind: 'baseline', flags: 'SIGCHLD', us: baseline, ratio: 1 });
  const thread = await cloneWaitUs(lib.presets.thread, options.iterations);
  rows.push({ kind: 'sharing', flags: 'presets.thread', us: thread, ratio: thread / baseline });
  for (const [kind, list] of [
    ['sharing', SHARING],
    ['namespace', NAMESPACES],
  ]) {
    for (const flag of list) {
      progress(`clonecost: ${flag}`);
      const iterations = SLOW.has(flag)
        ? Math.max(3, Math.round(options.iterations / 20))
        : options.iterations;
      try {
        const us = await cloneWaitUs(`${flag}|SIGCHLD`, iterations);
        rows.push({ kind, flags: flag, us, ratio: us / baseline });
      } catch (error) {
        // A namespace this host refuses (EPERM without root) is named, not measured.
        rows.push({ kind, flags: flag, us: null, ratio: null, refused: error.code });
      }
    }
  }
  await report('clonecost', options, {
    tables: { 'µs per clone+wait of a task that exits at once, and ÷ the plain process': rows },
    rows,
    chartSpec: {
      title: 'clone+wait cost per flag, ÷ a plain process',
      data: { values: rows.filter((r) => r.us !== null) },
      mark: 'bar',
      encoding: {
        y: { field: 'flags', type: 'nominal', sort: '-x', title: null },
        x: { field: 'ratio', type: 'quantitative', title: '× a plain process' },
        color: { field: 'kind', type: 'nominal' },
      },
      height: { step: 16 },
    },
  });
}

main(run);
