// The package as consumers load it: require and import give the same
// objects, and the addon works in worker_threads, each with its own state.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { processRunning, ROOT, typeCheckConsumer } from './helpers';

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
    for (const [name, same] of JSON.parse(result.stdout) as Array<[string, boolean]>)
      expect([name, same]).toEqual([name, true]);
  });

  it('its types pass tsc --strict in an ESM (nodenext) consumer and a CommonJS one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-clone-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'linux-clone'));
    const use = `
      const flags: CloneFlags = CloneFlags.parse('CLONE_NEWUTS|SIGCHLD');
      const child: Child = spawn('/bin/true', [], { flags, stdio: 'ignore', pdeathsig: 'SIGKILL' });
      const exit: Promise<ExitInfo> = child.wait();
      const task: Child = clone(tasks.sumArray(new Int32Array(4)), { flags: presets.thread });
      const report: SharingReport = explain(presets.vfork);
      const sharing: 'shared' | 'copied' = report.memory;
      const error: unknown = new CloneError(-2, 'execve');
      // @ts-expect-error: not an option
      spawn('/bin/true', [], { nope: 1 });
      void [exit, task, sharing, error, run];`;
    const names =
      '{ CloneError, CloneFlags, clone, explain, presets, run, spawn, tasks, type Child, type ExitInfo, type SharingReport }';
    writeFileSync(join(dir, 'esm.mts'), `import ${names} from 'linux-clone';\n${use}\n`);
    writeFileSync(join(dir, 'cjs.cts'), `import ${names} from 'linux-clone';\n${use}\n`);
    expect(typeCheckConsumer([join(dir, 'esm.mts'), join(dir, 'cjs.cts')], dir)).toEqual({
      status: 0,
      output: '',
    });
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
