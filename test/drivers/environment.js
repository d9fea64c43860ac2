'use strict';
// The environment a child gets when spawn has no `env` option, in each case
// test/environment-passthrough.test.ts names: this Node's process.env as it
// started, changed, deleted from, reassigned, a Proxy, behind a getter, and
// a Worker's, shared or not. Run as `node environment.js CASE` with
// LINUX_CLONE_DIST set and ENV_PASSTHROUGH_RAW holding the one byte 0xff:
// Node's env getter decodes it to U+FFFD, so a child that gets the byte
// itself got the C library's environ untouched, and one that gets U+FFFD's
// three bytes got process.env walked and re-encoded. Prints one JSON line.
const { readFileSync } = require('node:fs');
const { SHARE_ENV, Worker } = require('node:worker_threads');

const lib = require(process.env.LINUX_CLONE_DIST);

/** The child's environment: `env -0`'s entries, and the raw bytes of ENV_PASSTHROUGH_RAW as hex. */
async function childEnvironment(options = {}) {
  const result = await lib.run('/usr/bin/env', ['-0'], { ...options, encoding: 'buffer' });
  const entries = [];
  let raw = null;
  for (let start = 0; start < result.stdout.length;) {
    const end = result.stdout.indexOf(0, start);
    const entry = result.stdout.subarray(start, end);
    const name = entry.subarray(0, entry.indexOf(61)).toString('latin1');
    if (name === 'ENV_PASSTHROUGH_RAW') raw = entry.subarray(name.length + 1).toString('hex');
    entries.push(entry.toString('utf8'));
    start = end + 1;
  }
  return { raw, entries, bytes: result.stdout };
}

/** Runs `source` in a Worker (with `options`) and resolves with what it posts. */
function inWorker(source, options) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const lib = require(${JSON.stringify(process.env.LINUX_CLONE_DIST)});
       ${childEnvironment.toString()}
       (async () => { ${source} })().then((v) => parentPort.postMessage(v), (e) => parentPort.postMessage({ error: String(e.stack) }));`,
      { eval: true, ...options },
    );
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** A pass-through Proxy of `target` that counts each trap it runs. */
function countingProxy(target) {
  const traps = {};
  const handler = {};
  for (const trap of Object.getOwnPropertyNames(Reflect)) {
    handler[trap] = (...args) => {
      traps[trap] = (traps[trap] ?? 0) + 1;
      return Reflect[trap](...args);
    };
  }
  return { proxy: new Proxy(target, handler), traps };
}

const CASES = {
  /** Unchanged since start: the child's environment is byte for byte the one the kernel gave Node. */
  async unchanged() {
    const child = await childEnvironment();
    return { raw: child.raw, sameAsStart: child.bytes.equals(readFileSync('/proc/self/environ')) };
  },
  async set() {
    process.env.ENV_PASSTHROUGH_SET = 'set by Node';
    const child = await childEnvironment();
    return { raw: child.raw, entries: child.entries };
  },
  async deleted() {
    delete process.env.ENV_PASSTHROUGH_GONE;
    const child = await childEnvironment();
    return { raw: child.raw, entries: child.entries };
  },
  /** process.env reassigned: the object assigned is the environment, walked. */
  async reassigned() {
    const real = process.env;
    process.env = { ...real, ENV_PASSTHROUGH_COPY: 'copy' };
    const copy = await childEnvironment();
    process.env = { ONLY: 'this' };
    const only = await childEnvironment();
    process.env = real;
    const back = await childEnvironment();
    return { copy: { raw: copy.raw, entries: copy.entries }, only: only.entries, back: back.raw };
  },
  /** The `env` option wins over process.env. */
  async given() {
    return (await childEnvironment({ env: { GIVEN: 'yes', LEFT_OUT: undefined } })).entries;
  },
  /** A Worker's own copy: what the worker set is there, what the main thread set after is not. */
  async worker() {
    const started = inWorker(
      `await new Promise((resolve) => setTimeout(resolve, 0));
       process.env.ENV_PASSTHROUGH_WORKER = 'worker';
       const child = await childEnvironment();
       return { raw: child.raw, entries: child.entries };`,
    );
    process.env.ENV_PASSTHROUGH_MAIN_LATE = 'main';
    const inside = await started;
    const main = await childEnvironment();
    return { inside, main: { raw: main.raw, entries: main.entries } };
  },
  /** A Worker with SHARE_ENV: one environment for both threads. */
  async shared() {
    const inside = await inWorker(
      `process.env.ENV_PASSTHROUGH_SHARED = 'shared';
       const child = await childEnvironment();
       return { raw: child.raw, entries: child.entries };`,
      { env: SHARE_ENV },
    );
    const main = await childEnvironment();
    return { inside, main: { raw: main.raw, entries: main.entries } };
  },
  /** A Proxy as process.env is walked as given, and no probe runs its traps. */
  async proxy() {
    const { proxy, traps } = countingProxy(process.env);
    process.env = proxy;
    const child = await childEnvironment();
    const trapsOfOneSpawn = { ...traps };
    return { raw: child.raw, entries: child.entries, traps: trapsOfOneSpawn };
  },
  /** process.env behind a getter: read once per spawn, with or without a PATH lookup. */
  async getter() {
    const real = process.env;
    let reads = 0;
    Object.defineProperty(process, 'env', {
      get: () => (reads++, real),
      configurable: true,
      enumerable: true,
    });
    const readsOf = (file) => {
      const before = reads;
      const child = lib.spawn(file, ['-0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const count = reads - before;
      return { count, exited: child.wait() };
    };
    // The first spawn loads the addon, whose loader reads process.env.
    const child = await childEnvironment();
    const byPath = readsOf('/usr/bin/env');
    const byName = readsOf('env');
    await Promise.all([byPath.exited, byName.exited]);
    return { raw: child.raw, readsByPath: byPath.count, readsByName: byName.count };
  },
  /** process.exit while a child runs: the child goes with Node. */
  async exit() {
    const child = lib.spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    process.stdout.write(`${JSON.stringify({ pid: child.pid })}\n`);
    process.exit(0);
  },
  /** A Worker terminated while it spawns in a loop: Node goes on and spawns. */
  async terminated() {
    const worker = new Worker(
      `const lib = require(${JSON.stringify(process.env.LINUX_CLONE_DIST)});
       const { parentPort } = require('node:worker_threads');
       (async () => { for (let i = 0; ; i++) { await lib.run('/bin/true'); if (i === 3) parentPort.postMessage('spawning'); } })();`,
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const code = await worker.terminate();
    const child = await childEnvironment();
    return { code, raw: child.raw };
  },
};

CASES[process.argv[2]]().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);
