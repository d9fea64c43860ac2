'use strict';
// linux-clone/child_process against node:child_process on the same Node, in
// one run: spawn+exit, execFile and spawnSync of /bin/true, at the normal heap
// and with 1 GiB of Buffers touched. Reports µs per call, each line's ms per
// GiB, Node's peak RSS over the run, and the speed-ups issue 15 targets.
const nodeChildProcess = require('node:child_process');
const { join } = require('node:path');

const ours = require(join(__dirname, '..', 'dist', 'child-process', 'index.js'));
const { main, parseArgs, progress, report, slope } = require('./harness');

const PROGRAM = '/bin/true';

/** One call of each operation through `module`: a promise of its end, or nothing when synchronous. */
const OPERATIONS = {
  'spawn+exit': (module) =>
    new Promise((resolve, reject) =>
      module.spawn(PROGRAM, [], { stdio: 'ignore' }).on('exit', resolve).on('error', reject),
    ),
  execFile: (module) =>
    new Promise((resolve, reject) =>
      module.execFile(PROGRAM, [], (error) => (error ? reject(error) : resolve())),
    ),
  spawnSync: (module) => {
    const result = module.spawnSync(PROGRAM, [], { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`spawnSync: status ${result.status}`);
  },
};
const MODULES = { 'linux-clone/child_process': ours, 'node:child_process': nodeChildProcess };

/** Fewer iterations where a call costs tens of milliseconds (a fork of a big heap). */
function iterationsFor(moduleName, heapMiB, iterations) {
  return moduleName === 'node:child_process'
    ? Math.max(5, Math.round(iterations / (1 + heapMiB / 50)))
    : iterations;
}

async function timeUs(iterations, once) {
  for (let i = 0; i < Math.min(5, iterations); i++) await once();
  const begin = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - begin) / iterations / 1000;
}

/** Touched memory outside the V8 heap, 8 MiB a Buffer. */
function ballast(mib) {
  const chunks = [];
  for (let done = 0; done < mib; done += 8) chunks.push(Buffer.alloc(8 << 20, 1));
  return chunks;
}

async function measureAll(options) {
  const rows = [];
  let step = 0;
  for (const heapMiB of options.heaps) {
    const memory = ballast(heapMiB);
    for (const [operation, call] of Object.entries(OPERATIONS)) {
      for (const [moduleName, module] of Object.entries(MODULES)) {
        progress(`childprocess: ${operation} via ${moduleName}, ${heapMiB} MiB (${++step})`);
        const rssBefore = process.memoryUsage().rss;
        const iterations = iterationsFor(moduleName, heapMiB, options.iterations);
        const us = await timeUs(iterations, () => call(module));
        const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
        rows.push({ heapMiB, operation, module: moduleName, us, rssGrowthMiB });
      }
    }
    memory.length = 0;
  }
  return rows;
}

function summarize(rows, heaps) {
  const at = (heapMiB, operation, module) =>
    rows.find((r) => r.heapMiB === heapMiB && r.operation === operation && r.module === module)?.us;
  const top = Math.max(...heaps);
  const speedups = [];
  const slopes = [];
  for (const operation of Object.keys(OPERATIONS)) {
    const ratio = (heapMiB) =>
      at(heapMiB, operation, 'node:child_process') /
      at(heapMiB, operation, 'linux-clone/child_process');
    speedups.push({ operation, heapMiB: 0, target: '>= 1.5', speedup: ratio(0) });
    if (top > 0) speedups.push({ operation, heapMiB: top, target: '>= 10', speedup: ratio(top) });
    for (const module of Object.keys(MODULES)) {
      const points = rows
        .filter((r) => r.operation === operation && r.module === module)
        .map((r) => [r.heapMiB / 1024, r.us / 1000]);
      slopes.push({ operation, module, msPerGiB: slope(points) });
    }
  }
  return { speedups, slopes };
}

async function run() {
  const options = parseArgs(process.argv.slice(2), {
    iterations: 200,
    heaps: [0, 1024],
    quickHeaps: [0, 1024],
  });
  const rows = await measureAll(options);
  const { speedups, slopes } = summarize(rows, options.heaps);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  await report('childprocess', options, {
    tables: {
      'µs per call (rssGrowthMiB: Node’s RSS after the calls minus before)': rows,
      'node:child_process µs / linux-clone/child_process µs': speedups,
      'ms per GiB of touched memory': slopes,
    },
    rows,
    speedups,
    slopes,
    peakRssMiB,
    synchronousFamily:
      ours.spawnSync === nodeChildProcess.spawnSync ? "Node's own (not yet replaced)" : 'ours',
    chartSpec: {
      title: 'linux-clone/child_process against node:child_process, /bin/true',
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'operation', type: 'nominal', title: null },
        xOffset: { field: 'module', type: 'nominal' },
        y: {
          field: 'us',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'µs per call (log)',
        },
        color: { field: 'module', type: 'nominal' },
        column: { field: 'heapMiB', type: 'ordinal', title: 'touched memory, MiB' },
      },
    },
  });
}

main(run);
