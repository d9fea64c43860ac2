'use strict';
// What every benchmark shares: arguments, C baselines built with the system
// compiler at bench time, progress on a terminal, the run's context, the
// tables, the JSON result and the SVG chart (vega-lite, rendered in Node).
const { execFileSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');

const C_DIR = join(__dirname, 'c');
/** Where results and charts go; tests send them elsewhere. */
const RESULTS = process.env.LINUX_CLONE_BENCH_RESULTS || join(__dirname, 'results');

/** --quick, --json, --iterations N, --heaps 0,1024 (MiB), --workers 1,2 */
function parseArgs(argv, defaults) {
  const options = { ...defaults, quick: argv.includes('--quick'), json: argv.includes('--json') };
  const value = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (value('--iterations')) options.iterations = Number(value('--iterations'));
  else if (options.quick) options.iterations = Math.max(10, Math.round(defaults.iterations / 5));
  if (options.quick && defaults.quickHeaps) options.heaps = defaults.quickHeaps;
  if (value('--heaps')) options.heaps = value('--heaps').split(',').map(Number);
  if (value('--length')) options.length = Number(value('--length'));
  else if (options.quick && defaults.quickLength) options.length = defaults.quickLength;
  if (value('--workers')) options.workers = value('--workers').split(',').map(Number);
  return options;
}

let binDir;
/** Compiles benchmarks/c/NAME.c with the system compiler; `flags` like ['-O2']. */
function compileBaseline(name, flags = ['-O2'], suffix = '') {
  // Into a directory of this run's own: an installed package may not be writable.
  if (binDir === undefined) {
    binDir = mkdtempSync(join(os.tmpdir(), 'linux-clone-bench-bin-'));
    process.on('exit', () => rmSync(binDir, { recursive: true, force: true }));
  }
  const bin = join(binDir, `${name}${suffix}`);
  execFileSync('cc', [...flags, '-pthread', '-o', bin, join(C_DIR, `${name}.c`)]);
  return bin;
}

/** Runs a compiled baseline and returns the number it prints. */
function runBaseline(bin, args) {
  return runBaselineNumbers(bin, args)[0];
}

/** Runs a compiled baseline and returns every number it prints. */
function runBaselineNumbers(bin, args) {
  return execFileSync(bin, args.map(String), { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
}

/** A progress line on a terminal (stderr), nothing when piped. */
function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\u001b[2K${text}`);
}

function context() {
  let thp = 'unknown';
  try {
    thp = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))[1];
  } catch {
    // no transparent huge pages on this kernel: 'unknown'
  }
  return {
    node: process.version,
    libuv: process.versions.uv,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    transparentHugePages: thp,
    date: new Date().toISOString(),
  };
}

const fmt = (n) =>
  typeof n === 'number' ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : String(n);

/** Rows of flat objects as an aligned text table. */
function table(rows) {
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => fmt(r[k] ?? '').length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(keys), ...rows.map((r) => line(keys.map((k) => fmt(r[k] ?? ''))))].join('\n');
}

/** Renders a vega-lite spec to RESULTS/NAME.svg; without vega (an installed package) there is no chart. */
async function chart(name, spec) {
  let vega, vegaLite;
  try {
    vega = await import('vega');
    vegaLite = await import('vega-lite');
  } catch (error) {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(`${name}: no chart: vega and vega-lite are not installed\n`);
    return;
  }
  const config = { legend: { labelLimit: 320 }, axis: { labelLimit: 320 }, background: 'white' };
  const compiled = vegaLite.compile({ width: 560, height: 300, config, ...spec }).spec;
  const svg = await new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.svg`), svg);
}

/**
 * Prints the tables (or, with --json, the JSON) and writes NAME.json and
 * NAME.svg. `tables` maps a title to rows of flat objects.
 */
async function report(name, options, { tables, chartSpec, ...data }) {
  progress('');
  const result = {
    benchmark: name,
    context: context(),
    iterations: options.iterations,
    tables,
    ...data,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  if (chartSpec) await chart(name, chartSpec);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const c = result.context;
  process.stdout.write(
    `\n${name}: ${c.cpu}, ${c.cores} cores, Linux ${c.kernel}, Node ${c.node}\n`,
  );
  for (const [title, rows] of Object.entries(tables))
    process.stdout.write(`\n${title}:\n${table(rows)}\n`);
}

/** µs per call of `once` (sync or async), after a few warm-up calls. */
async function timeUs(iterations, once, warmup = 20) {
  for (let i = 0; i < Math.min(warmup, iterations); i++) await once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function main(run) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = {
  compileBaseline,
  main,
  parseArgs,
  progress,
  report,
  runBaseline,
  runBaselineNumbers,
  slope,
  timeUs,
  RESULTS,
};
