// execa on linux-clone/child_process, through a module resolve hook: which of
// execa's features behave as they do on node:child_process. Not a test of the
// project (execa is not a dependency); an experiment, run by hand:
//
//   npm run build:ts
//   cd SOME_DIR && npm install execa@9 && node PROJECT/scripts/execa-experiment.mjs
//
// (execa is imported from the current directory.)
// Each feature runs twice, in a Node of its own: on node:child_process, and
// with every import of it by execa resolved to this package's
// linux-clone/child_process. The table says whether the results are equal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ours = pathToFileURL(join(here, '..', 'dist', 'child_process.mjs')).href;
const dist = pathToFileURL(join(here, '..', 'dist')).href;

// The resolve hook: `node:child_process` and `child_process` become ours for
// every importer but our own files (which are built on Node's).
const hooks = `
export async function resolve(specifier, context, next) {
  if ((specifier === 'node:child_process' || specifier === 'child_process') &&
      !(context.parentURL ?? '').startsWith(${JSON.stringify(dist)}))
    return { url: ${JSON.stringify(ours)}, shortCircuit: true };
  return next(specifier, context);
}`;
const register = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;

const dir = mkdtempSync(join(tmpdir(), 'execa-experiment-'));
const ipcChild = join(dir, 'ipc-child.mjs');
writeFileSync(
  ipcChild,
  `process.once('message', (m) => process.send(m + ' back', () => process.exit(0)));`,
);

// Each feature: an expression over execa's exports, awaited; its value is compared.
const FEATURES = {
  'execa, stdout': `(await execa('echo', ['hi'])).stdout`,
  'template $': `(await $\`echo \${'a b'} c\`).stdout`,
  'exit code as error': `await execa('sh', ['-c', 'echo out; exit 2']).catch((e) => [e.exitCode, e.failed, e.shortMessage, e.stdout])`,
  'input (stdin)': `(await execa('cat', { input: 'abc' })).stdout`,
  'all (interleaved)': `(await execa('sh', ['-c', 'echo o; echo e >&2'], { all: true })).all.split('\\n').sort()`,
  lines: `(await execa('printf', ['a\\nb\\n'], { lines: true })).stdout`,
  'encoding buffer': `Array.from((await execa('printf', ['xy'], { encoding: 'buffer' })).stdout)`,
  'cwd and env': `(await execa('sh', ['-c', 'pwd; echo $X'], { cwd: '/tmp', env: { X: 'y' } })).stdout`,
  timeout: `await execa('sleep', ['5'], { timeout: 100 }).catch((e) => [e.timedOut, e.isTerminated, e.signal])`,
  cancelSignal: `await (async () => { const c = new AbortController(); const p = execa('sleep', ['5'], { cancelSignal: c.signal }); setTimeout(() => c.abort(), 50); return p.catch((e) => [e.isCanceled, e.signal]); })()`,
  kill: `await (async () => { const p = execa('sleep', ['5']); setTimeout(() => p.kill(), 50); return p.catch((e) => [e.isTerminated, e.signal]); })()`,
  'program not found': `await execa('no-such-program-xyz').catch((e) => [e.code, e.shortMessage])`,
  'missing cwd': `await execa('true', { cwd: '/no/such/dir' }).catch((e) => [e.code, e.shortMessage])`,
  'pipe to another': `(await execa('echo', ['piped']).pipe('tr', ['a-z', 'A-Z'])).stdout`,
  'transform generator': `(await execa('printf', ['a\\nb'], { stdout: function* (line) { yield line + '!'; } })).stdout`,
  'stdout to a file': `await (async () => { const f = ${JSON.stringify(join(dir, 'out.txt'))}; await execa('echo', ['filed'], { stdout: { file: f } }); return (await import('node:fs')).readFileSync(f, 'utf8'); })()`,
  'readable() stream': `await (async () => { let t = ''; for await (const c of execa('echo', ['streamed']).readable()) t += c; return t; })()`,
  'execaNode with IPC': `await (async () => { const p = execaNode(${JSON.stringify(ipcChild)}, { ipc: true, nodeOptions: [] }); await p.sendMessage('ping'); const reply = await p.getOneMessage(); await p; return reply; })()`,
  execaSync: `execaSync('echo', ['sync']).stdout`,
};
/** Not a feature: whether the hooked run really clones (the handle under execa's subprocess). */
const ROUTED = `execa('true')._handle?.constructor.name`;

function runFeature(expression, hooked) {
  const script = `import { $, execa, execaNode, execaSync } from 'execa';
    const value = await (async () => ${expression})();
    process.stdout.write(JSON.stringify(value ?? null));`;
  const args = hooked ? ['--import', `data:text/javascript,${encodeURIComponent(register)}`] : [];
  const result = spawnSync(process.execPath, [...args, '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 30000,
  });
  if (result.status !== 0)
    return `FAILED (${result.status ?? result.signal}): ${result.stderr.trim().split('\n').at(-1)}`;
  return result.stdout;
}

const rows = [];
for (const [feature, expression] of Object.entries(FEATURES)) {
  const node = runFeature(expression, false);
  const cloned = runFeature(expression, true);
  rows.push({ feature, node, cloned, same: node === cloned && !node.startsWith('FAILED') });
}
console.log(
  `process handle: ${runFeature(ROUTED, false)} on node:child_process, ${runFeature(ROUTED, true)} through the hook`,
);
for (const { feature, node, cloned, same } of rows) {
  const differs = same ? '' : ` (node:child_process: ${node})`;
  console.log(`${same ? 'same     ' : 'DIFFERENT'} ${feature}: ${cloned}${differs}`);
}
const same = rows.filter((r) => r.same).length;
console.log(`${same} of ${rows.length} features give the same result`);
