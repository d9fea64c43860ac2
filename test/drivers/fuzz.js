'use strict';
// The fuzz campaign, run by test/fuzz.test.ts in a Node process of its own
// (no test runner's signal listeners in it): if the library took Node down,
// this process dies and the test sees how. Prints one JSON line of counts
// and resource deltas, read from /proc.
const { appendFileSync, readdirSync, readFileSync } = require('node:fs');

const { clone, CloneFlags, FLAG_BITS, presets, spawn, tasks } = require(
  process.env.LINUX_CLONE_DIST,
);

const ITERATIONS = Number(process.env.LINUX_CLONE_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.LINUX_CLONE_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: small, seeded, good enough to pick cases. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = prng(SEED);
const pick = (items) => items[Math.floor(random() * items.length)];
const chance = (p) => random() < p;
const KNOWN = Object.entries(FLAG_BITS);
const ODD_VALUES = [
  undefined,
  null,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  '',
  'x',
  '0x10',
  true,
  false,
  [],
  {},
  [1, 2],
  10n,
  -1n,
  Symbol('s'),
  () => 1,
  new Date(0),
  /re/,
  new Uint8Array(3),
];

function randomWord() {
  let word = 0n;
  for (const [, bit] of KNOWN) if (chance(0.12)) word |= bit;
  if (chance(0.1)) word |= 1n << BigInt(Math.floor(random() * 64)); // unknown or 64-bit bits
  if (chance(0.2)) word |= BigInt(Math.floor(random() * 256)); // an exit signal byte, sometimes nonsense
  return word;
}

function randomFlags() {
  const word = randomWord();
  switch (Math.floor(random() * 7)) {
    case 0:
      return word;
    case 1:
      return CloneFlags.of(...KNOWN.filter(() => chance(0.1)).map(([name]) => name));
    case 2: // strace syntax, sometimes misspelt
      return KNOWN.filter(() => chance(0.1))
        .map(([name]) => (chance(0.05) ? `CLONE_${name}X` : `CLONE_${name}`))
        .concat(chance(0.3) ? [pick(['SIGCHLD', 'SIGUSR1', 'SIGFOO', '17', '0'])] : [])
        .join(pick(['|', ' | ', ',']));
    case 3:
      return KNOWN.filter(() => chance(0.1)).map(([name]) => name);
    case 4:
      return `0x${word.toString(16)}`;
    case 5:
      return pick(['thread', 'process', 'container', 'vfork']);
    default:
      return pick(ODD_VALUES);
  }
}

function randomSignal() {
  return pick([
    undefined,
    null,
    0,
    'SIGCHLD',
    'SIGUSR1',
    'SIGRT_3',
    'SIGKILL',
    Math.floor(random() * 80) - 5,
    ...ODD_VALUES,
  ]);
}

function randomStackSize() {
  return pick([
    undefined,
    0,
    -1,
    -4096,
    1,
    4096,
    16 * 1024,
    65536,
    1 << 20,
    2 ** 30,
    2 ** 30 + 4096,
    2 ** 40,
    Number.MAX_SAFE_INTEGER,
    ...ODD_VALUES,
  ]);
}

function randomSpawnOptions() {
  if (chance(0.05)) return pick(ODD_VALUES);
  const options = { stdio: 'ignore' };
  if (chance(0.8)) options.flags = randomFlags();
  if (chance(0.3)) options.exitSignal = randomSignal();
  if (chance(0.2)) options.pdeathsig = randomSignal();
  if (chance(0.2)) options.fastPath = pick([true, false, ...ODD_VALUES]);
  if (chance(0.1))
    options.stdio = pick([
      'pipe',
      'ignore',
      'inherit',
      ['ignore', 'pipe'],
      [0, 1, 2],
      [99999],
      ...ODD_VALUES,
    ]);
  if (chance(0.1)) options.env = pick([{}, { A: '1' }, { A: 1 }, { 'A=B': 'x' }, ...ODD_VALUES]);
  if (chance(0.1)) options.cwd = pick(['/', '/no/such', '/etc/passwd', ...ODD_VALUES]);
  if (chance(0.05)) options[pick(['cdw', 'flag', 'uid', '__proto__x'])] = 1;
  if (chance(0.1)) options.hostname = pick(['fuzz', 'x'.repeat(70), ...ODD_VALUES]);
  if (chance(0.05)) options.mapRootUser = pick([true, ...ODD_VALUES]);
  if (chance(0.05)) options.mountProc = pick([true, ...ODD_VALUES]);
  if (chance(0.05))
    options.rlimits = pick([{ nofile: 64 }, { nofile: -1 }, { bogus: 1 }, ...ODD_VALUES]);
  if (chance(0.05))
    options.seccomp = pick([{ deny: ['ptrace'] }, { deny: ['nope'] }, { deny: 5 }, ...ODD_VALUES]);
  if (chance(0.05))
    options.timeOffsets = pick([{ monotonic: 1 }, { monotonic: NaN }, ...ODD_VALUES]);
  if (chance(0.05))
    options.uidMap = pick([[{ containerId: 0, hostId: 0, size: 1 }], [{}], ...ODD_VALUES]);
  if (chance(0.05))
    options.mounts = pick([[{ type: 'tmpfs', target: '/tmp' }], [{ type: 'bind' }], ...ODD_VALUES]);
  if (chance(0.03))
    options.enter = pick([
      { target: process.pid, namespaces: ['uts'] },
      { target: -1, namespaces: [] },
      ...ODD_VALUES,
    ]);
  return options;
}

function randomCloneOptions() {
  if (chance(0.05)) return pick(ODD_VALUES);
  const options = {};
  if (chance(0.9)) options.flags = randomFlags();
  if (chance(0.3)) options.exitSignal = randomSignal();
  if (chance(0.4)) options.stackSize = randomStackSize();
  if (chance(0.05)) options.tls = pick([true, 1, ...ODD_VALUES]);
  return options;
}

/** LINUX_CLONE_FUZZ_LOG=FILE records each call before it is made, to find the one that took Node down. */
const LOG = process.env.LINUX_CLONE_FUZZ_LOG;
function record(call, args) {
  if (LOG === undefined) return;
  const text = JSON.stringify(args, (_key, value) =>
    typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function'
      ? String(value)
      : value,
  );
  appendFileSync(LOG, `${call} ${text}\n`);
}

async function fuzzOnce() {
  let child;
  try {
    if (chance(0.5)) {
      const args = chance(0.05) ? pick(ODD_VALUES) : [];
      const file = chance(0.03) ? pick(ODD_VALUES) : '/bin/true';
      const options = randomSpawnOptions();
      record('spawn', [file, args, options]);
      child = spawn(file, args, options);
    } else {
      const task = chance(0.03) ? pick(ODD_VALUES) : tasks.exit(0);
      const options = randomCloneOptions();
      record('clone', [task, options]);
      child = clone(task, options);
    }
  } catch (error) {
    // The one promise: every refusal is an Error with a string code.
    if (!(error instanceof Error) || typeof error.code !== 'string') {
      throw new Error(`refusal without a code (seed ${SEED}): ${String(error)}`, { cause: error });
    }
    return 'refused';
  }
  await child.wait();
  for (const stream of child.stdio) stream?.destroy();
  return 'ran';
}

const count = (dir) => readdirSync(dir).length;
const mappings = () => readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n').length;
function zombies() {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === process.pid) n++;
    } catch {
      // the process went away while we looked
    }
  }
  return n;
}

(async () => {
  // Warm the caches so that what stays is a leak: the exec stack, a full
  // task-stack cache, Node's own lazily opened descriptors (the first stdio
  // stream makes libuv open a /dev/null it keeps), and the /dev/null the
  // library keeps for ignored slots.
  await spawn('/bin/true', [], { stdio: 'ignore' }).wait();
  await Promise.all(
    Array.from({ length: 16 }, () => clone(tasks.sleep(50), { stackSize: 64 * 1024 }).wait()),
  );
  for (let i = 0; i < 20; i++) {
    const piped = spawn('/bin/true');
    await piped.wait();
    for (const stream of piped.stdio) stream?.destroy();
    await clone(tasks.exit(0)).wait();
    await clone(tasks.exit(0), { flags: presets.thread }).wait();
  }
  const before = { fds: count('/proc/self/fd'), maps: mappings() };
  const counts = { refused: 0, ran: 0 };
  for (let i = 0; i < ITERATIONS; i++) counts[await fuzzOnce()]++;
  await new Promise((resolve) => setTimeout(resolve, 100)); // the last streams and pollers close
  const after = { fds: count('/proc/self/fd'), maps: mappings() };
  process.stdout.write(
    `${JSON.stringify({ seed: SEED, iterations: ITERATIONS, ...counts, before, after, zombies: zombies() })}\n`,
  );
})();
