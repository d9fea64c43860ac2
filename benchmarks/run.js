'use strict';
// npm run bench [-- --quick] [-- --json] [-- NAME...]: every benchmark (or
// those named), one after another; `linux-clone bench` runs this too. Each
// prints its tables and writes <results>/<name>.json and .svg; with --json,
// the results also go into one file, <results>/all.json.
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const { RESULTS } = require('./harness');

const BENCHMARKS = ['spawn', 'threads', 'sumarray', 'clonecost', 'containers', 'childprocess'];
const argv = process.argv.slice(2);
// NAMEs are the positionals; every other argument goes to each benchmark.
const names = argv.filter((arg, i) => !arg.startsWith('-') && !argv[i - 1]?.startsWith('--'));
const args = argv.filter((arg) => !names.includes(arg));
const unknown = names.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; there are ${BENCHMARKS.join(', ')}\n`,
  );
  process.exit(2);
}
const json = args.includes('--json');
const all = {};
let failed = 0;
for (const name of names.length > 0 ? names : BENCHMARKS) {
  const result = spawnSync(process.execPath, [join(__dirname, `${name}.js`), ...args], {
    stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    failed++;
    continue;
  }
  if (json) all[name] = JSON.parse(result.stdout.trim().split('\n').at(-1));
}
if (json) {
  const file = join(RESULTS, 'all.json');
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  process.stdout.write(`${file}\n`);
}
process.exitCode = failed ? 1 : 0;
