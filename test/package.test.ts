// The package as consumers load it: require and import give the same
// objects, and the addon works in worker_threads, each with its own state.
import { spawnSync } from 'node:child_process';

import { processRunning, ROOT } from './helpers';

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
}

describe('the package', () => {
  it('import and require give the same objects, with every public name', () => {
    const script = `
      import * as esm from 'linux-clone';
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)('linux-clone');
      const names = ['spawn', 'run', 'clone', 'tasks', 'explain', 'probe', 'CloneFlags', 'CloneError', 'Child', 'presets', 'FLAG_BITS', 'FLAG_RULES', 'RESOURCES', 'NAMESPACES'];
      console.log(JSON.stringify(names.map((n) => [n, esm[n] !== undefined && esm[n] === cjs[n]])));`;
    const result = node(['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    for (const [name, same] of JSON.parse(result.stdout) as Array<[string, boolean]>) expect([name, same]).toEqual([name, true]);
  });

  it('spawns and clones from several worker_threads at once', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { parentPort } = require('node:worker_threads');
        const lib = require('linux-clone');
        (async () => {
          const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => lib.run('/bin/sh', ['-c', 'exit ' + i])));
          const sums = await Promise.all(Array.from({ length: 20 }, () => lib.clone(lib.tasks.sumArray(new Int32Array([1, 2, 3])), { flags: lib.presets.thread }).wait()));
          parentPort.postMessage(runs.map((r) => r.exitCode).join(',') + '|' + sums.map((s) => s.value).join(','));
        })();\`;
      Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
        new Worker(code, { eval: true }).on('message', resolve).on('error', reject);
      }))).then((out) => console.log(JSON.stringify(out)));`;
    const result = node(['-e', script]);
    expect(result.stderr).toBe('');
    const expected = `${Array.from({ length: 20 }, (_, i) => i).join(',')}|${new Array(20).fill(6).join(',')}`;
    expect(JSON.parse(result.stdout)).toEqual([expected, expected, expected, expected]);
  });

  it('a worker terminated with children running leaves none behind: they are killed and reaped', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { parentPort } = require('node:worker_threads');
        const lib = require('linux-clone');
        const child = lib.spawn('sleep', ['30'], { stdio: 'ignore' });
        const task = lib.clone(lib.tasks.sleep(30000));
        parentPort.postMessage([child.pid, task.pid]);\`;
      const worker = new Worker(code, { eval: true });
      worker.on('message', async (pids) => {
        await worker.terminate();
        console.log(JSON.stringify(pids));
      });`;
    const result = node(['-e', script]);
    expect(result.stderr).toBe('');
    const pids = JSON.parse(result.stdout) as number[];
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(processRunning(pid)).toBe(false);
  });
});
