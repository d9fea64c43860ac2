'use strict';
// npm run bench [-- --quick] [-- --json]: every benchmark, one after another.
// Each prints its tables and writes benchmarks/results/<name>.json and .svg;
// with --json, the results also go into one file, results/all.json.
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const { RESULTS } = require('./harness');

const BENCHMARKS = ['spawn', 'threads', 'sumarray', 'clonecost', 'containers'];
const args = process.argv.slice(2);
const json = args.includes('--json');
const all = {};
let failed = 0;
for (const name of BENCHMARKS) {
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
