'use strict';
// npm run bench [-- --quick] [-- --json]: every benchmark, one after another.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const BENCHMARKS = ['spawn.js', 'threads.js'];
let failed = 0;
for (const file of BENCHMARKS) {
  const result = spawnSync(process.execPath, [join(__dirname, file), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
