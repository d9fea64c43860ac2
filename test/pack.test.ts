// The package as npm ships it: `npm run prebuild` (prebuildify, N-API,
// stripped), `npm pack`, and an install of the tarball into an empty
// project, offline, which must load the prebuild without compiling and work
// through require, import and strict types.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { ROOT, runtimeDependencies, typeCheckConsumer } from './helpers';

const npm = (args: string[], cwd: string, env = process.env) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 300_000, env });

/**
 * The Node headers this machine already has: the nodedir npm is configured
 * with, Node's own prefix (official builds ship include/node), or node-gyp's
 * download cache, where `npm install` put them. Without one, prebuildify
 * would download the headers of the newest Node it knows; tests use no network.
 */
function nodeHeaders(): string {
  const version = process.versions.node;
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const candidates = [
    process.env.npm_config_nodedir,
    dirname(dirname(process.execPath)),
    process.env.npm_config_devdir && join(process.env.npm_config_devdir, version),
    join(cache, 'node-gyp', version),
  ];
  const found = candidates.find(
    (dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h')),
  );
  if (!found) throw new Error(`no Node headers among ${candidates.filter(Boolean).join(', ')}`);
  return found;
}

/**
 * The package's runtime dependencies, and theirs, packed from the checkout's
 * node_modules (the versions the lockfile chose) into `dir`: name → tarball.
 * An install from a lockfile caches tarballs but not the registry documents
 * a fresh resolve asks for, so the consumer takes its dependencies from these.
 */
function packDependencies(dir: string): Record<string, string> {
  const tarballs: Record<string, string> = {};
  for (const [name, location] of runtimeDependencies()) {
    const packed = npm(
      ['pack', location, '--pack-destination', dir, '--silent', '--ignore-scripts'],
      dir,
    );
    if (packed.status !== 0) throw new Error(`npm pack ${name} failed:\n${packed.stderr}`);
    tarballs[name] = join(dir, packed.stdout.trim().split('\n').at(-1)!);
  }
  return tarballs;
}

let tarball = '';
let files: string[] = [];
let consumer = '';

beforeAll(() => {
  // A copy of the package, so that prebuildify's rebuild of build/ cannot
  // pull the addon from under the tests running beside this one.
  const source = mkdtempSync(join(tmpdir(), 'linux-clone-source-'));
  for (const entry of [
    'package.json',
    'binding.gyp',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'native',
    'dist',
    'bin',
    'benchmarks',
  ])
    cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  const build = npm(['run', 'prebuild'], source, {
    ...process.env,
    npm_config_nodedir: nodeHeaders(),
  });
  if (build.status !== 0) throw new Error(`npm run prebuild failed:\n${build.stderr}`);
  const out = mkdtempSync(join(tmpdir(), 'linux-clone-pack-'));
  const pack = npm(['pack', '--pack-destination', out, '--silent', '--ignore-scripts'], source);
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  tarball = join(out, pack.stdout.trim().split('\n').at(-1)!);
  files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  consumer = mkdtempSync(join(tmpdir(), 'linux-clone-consumer-'));
  // Offline, with an empty cache of its own: the dependencies come from their
  // tarballs through overrides, and the test touches neither network nor ~/.npm.
  const overrides: Record<string, string> = {};
  for (const [name, file] of Object.entries(packDependencies(out)))
    overrides[name] = `file:${file}`;
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, overrides }),
  );
  const cache = mkdtempSync(join(tmpdir(), 'linux-clone-npm-cache-'));
  const install = npm(
    [
      'install',
      '--offline',
      '--cache',
      cache,
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      tarball,
    ],
    consumer,
  );
  if (install.status !== 0) throw new Error(`installing the tarball failed:\n${install.stderr}`);
}, 600_000);

describe('the packed tarball', () => {
  it('ships dist/, the prebuild, native/, binding.gyp and the benchmark scripts, and no tests', () => {
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.mjs');
    expect(files).toContain('package/binding.gyp');
    expect(files).toContain('package/native/exec_child.cc');
    expect(files.some((f) => /^package\/prebuilds\/linux-x64\/.+\.node$/.test(f))).toBe(true);
    // `linux-clone bench` runs these; the results and charts of our own runs stay behind.
    expect(files).toContain('package/benchmarks/run.js');
    expect(files).toContain('package/benchmarks/c/posix_spawn.c');
    expect(
      files.filter(
        (f) =>
          f.startsWith('package/test/') ||
          f.startsWith('package/benchmarks/results/') ||
          f.startsWith('package/build/'),
      ),
    ).toEqual([]);
  });

  it('installs into an empty project from the prebuild, without compiling', () => {
    const installed = join(consumer, 'node_modules', 'linux-clone');
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(
      readdirSync(join(installed, 'prebuilds', 'linux-x64')).some((f) => f.endsWith('.node')),
    ).toBe(true);
  });

  it('works through require and import', () => {
    const cjs = spawnSync(
      process.execPath,
      [
        '-e',
        "require('linux-clone').run('echo', ['cjs']).then((r) => process.stdout.write(r.stdout))",
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout).toBe('cjs\n');
    const esm = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { run } from 'linux-clone'; process.stdout.write((await run('echo', ['esm'])).stdout);",
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('esm\n');
  });

  it('runs linux-clone bench from the installed copy, with no chart library and results in --out', () => {
    const out = join(consumer, 'bench-results');
    const bench = spawnSync(
      join(consumer, 'node_modules', '.bin', 'linux-clone'),
      ['bench', 'threads', '--iterations', '3', '--out', out],
      { cwd: consumer, encoding: 'utf8', timeout: 120_000 },
    );
    expect(bench.stderr).toBe('threads: no chart: vega and vega-lite are not installed\n');
    expect(bench.status).toBe(0);
    expect(bench.stdout).toContain('x C raw clone');
    expect(readdirSync(out)).toEqual(['threads.json']);
  });

  it('its types pass tsc --strict in a nodenext ESM consumer', () => {
    writeFileSync(
      join(consumer, 'use.mts'),
      `import { spawn, type Child, type ContainerOptions } from 'linux-clone';
const options: ContainerOptions = { mapRootUser: true, hostname: 'box' };
const child: Child = spawn('/bin/true', [], { flags: 'CLONE_NEWUSER|CLONE_NEWUTS', ...options });
void child.wait();
`,
    );
    expect(typeCheckConsumer([join(consumer, 'use.mts')], consumer)).toEqual({
      status: 0,
      output: '',
    });
  });
});
