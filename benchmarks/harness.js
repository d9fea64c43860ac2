'use strict';
// What every benchmark shares: arguments, C baselines built with the system
// compiler at bench time, the run's context, and the report.
const { execFileSync } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');

const C_DIR = join(__dirname, 'c');
const RESULTS = join(__dirname, 'results');

/** --quick, --json, --iterations N, --heaps 0,1024 */
function parseArgs(argv, defaults) {
  const options = { ...defaults, quick: argv.includes('--quick'), json: argv.includes('--json') };
  const value = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (value('--iterations')) options.iterations = Number(value('--iterations'));
  else if (options.quick) options.iterations = Math.max(20, Math.round(defaults.iterations / 5));
  if (value('--heaps')) options.heaps = value('--heaps').split(',').map(Number);
  return options;
}

function compileBaseline(name) {
  const bin = join(C_DIR, 'bin', name);
  mkdirSync(join(C_DIR, 'bin'), { recursive: true });
  execFileSync('cc', ['-O2', '-o', bin, join(C_DIR, `${name}.c`)]);
  return bin;
}

function context() {
  let thp = 'unknown';
  try {
    thp = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))[1];
  } catch {}
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

const fmt = (n) => (typeof n === 'number' ? (n >= 100 ? n.toFixed(0) : n.toFixed(2)) : String(n));

function table(rows) {
  const flat = rows.map((row) => Object.fromEntries(Object.entries(row).flatMap(([k, v]) => (v && typeof v === 'object' ? Object.entries(v).map(([k2, v2]) => [`${k2} (µs)`, v2]) : [[k, v]]))));
  const keys = Object.keys(flat[0] ?? {});
  const widths = keys.map((k) => Math.max(k.length, ...flat.map((r) => fmt(r[k]).length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(keys), ...flat.map((r) => line(keys.map((k) => fmt(r[k]))))].join('\n');
}

/** Prints the tables (or JSON) and writes NAME.json to benchmarks/results (or $LINUX_CLONE_BENCH_RESULTS). */
function report(name, options, data) {
  const result = { benchmark: name, context: context(), iterations: options.iterations, ...data };
  const dir = process.env.LINUX_CLONE_BENCH_RESULTS || RESULTS; // tests write elsewhere
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(`\n${name}: ${options.iterations} iterations each, ${result.context.cpu}, ${result.context.cores} cores, Linux ${result.context.kernel}\n`);
  for (const [key, rows] of Object.entries(data)) process.stdout.write(`\n${key}:\n${table(rows)}\n`);
}

module.exports = { compileBaseline, parseArgs, report };
