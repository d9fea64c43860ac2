// linux-clone bench: the benchmark suite, run from this copy of the package.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { number, shellStatus } from './cli-usage';
import { spawn } from './spawn';

const BENCH_HELP = `Usage: linux-clone bench [--quick] [--iterations N] [--json] [--out DIR] [NAME...]

Runs the benchmarks (all, or the NAMEs: spawn, threads, sumarray, clonecost,
containers, childprocess) and prints their tables: ratios against C posix_spawn, raw clone
and pthreads, child_process and worker_threads, all measured in this run.
The C baselines are compiled with the system's cc.

Options:
  --quick             fewer iterations and heap sizes (about 25 s)
  --iterations N      iterations per measurement
  --json              instead of tables, collect the results in DIR/all.json
                      and print its path
  --out DIR           where NAME.json (and NAME.svg, with vega-lite installed)
                      are written; default ./linux-clone-bench
  -h, --help          show this help
`;

export async function benchCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean' },
      iterations: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const suite = join(__dirname, '..', 'benchmarks', 'run.js');
  if (!existsSync(suite)) throw new Error(`the benchmarks are missing from this copy (${suite})`);
  const forward = [...positionals];
  if (values.quick) forward.push('--quick');
  if (values.json) forward.push('--json');
  if (values.iterations !== undefined)
    forward.push('--iterations', String(number('iterations', values.iterations)));
  const results = resolve(values.out ?? 'linux-clone-bench');
  const child = spawn(process.execPath, [suite, ...forward], {
    stdio: 'inherit',
    env: { ...process.env, LINUX_CLONE_BENCH_RESULTS: results },
  });
  return shellStatus(await child.wait());
}
