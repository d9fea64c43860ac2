'use strict';
// The hostile-options campaign, run by test/hostile-options.test.ts in a Node
// of its own, so that a crash or a hang shows as this process's death. Every
// option of spawn, run and clone (and their positional arguments) is given
// each hostile kind in turn; each call's outcome is recorded: 'ran', a coded
// error, the caller's own exception (by identity), or an uncoded error. It
// prints one JSON line: the outcomes, and the fds, children and zombies
// before and after.
const { readdirSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const DIST = process.env.LINUX_CLONE_DIST;
const lib = require(DIST);
const { SPAWN_KEYS } = require(join(dirname(DIST), 'spawn-plan.js'));
const { addon } = require(join(dirname(DIST), 'binding.js'));

/** Counts the addon's clones, so a refused call can be shown to have cloned nothing. */
let clones = 0;
const binding = addon();
for (const name of ['spawn', 'cloneTask', 'cloneTaskSync']) {
  const original = binding[name];
  binding[name] = function (...args) {
    clones++;
    return original.apply(this, args);
  };
}

const THREAD_FLAGS = String(lib.presets.thread);
const FLAGS_WITH = (...names) => names.map((n) => `CLONE_${n}`).join('|');

// Every case: [entry, path into { file, args, options }, the valid call].
// A kind replaces the value at the path; the rest of the call stays valid.
const spawnCases = (entry) => [
  [entry, ['file'], {}],
  [entry, ['args'], { args: ['x'] }],
  [entry, ['args', 0], { args: ['x'] }],
  [entry, ['options'], { options: {} }],
  [entry, ['options', 'flags'], { options: { flags: 'CLONE_NEWUTS' } }],
  [entry, ['options', 'fastPath'], { options: { fastPath: true } }],
  [entry, ['options', 'argv0'], { options: { argv0: 'x' } }],
  [entry, ['options', 'cwd'], { options: { cwd: '/' } }],
  [entry, ['options', 'env'], { options: { env: { PATH: '/usr/bin:/bin' } } }],
  [entry, ['options', 'env', 'PATH'], { options: { env: { PATH: '/usr/bin:/bin' } } }],
  [entry, ['options', 'stdio'], { options: { stdio: ['ignore', 'ignore', 'ignore'] } }],
  [entry, ['options', 'stdio', 1], { options: { stdio: ['ignore', 'ignore', 'ignore'] } }],
  [entry, ['options', 'exitSignal'], { options: { exitSignal: 'SIGCHLD' } }],
  [entry, ['options', 'pdeathsig'], { options: { pdeathsig: 'SIGKILL' } }],
  [entry, ['options', 'setsid'], { options: { setsid: true } }],
  [entry, ['options', 'killAtExit'], { options: { killAtExit: true } }],
  [entry, ['options', 'detached'], { options: { detached: true } }],
  [entry, ['options', 'uid'], { options: { uid: process.getuid() } }],
  [entry, ['options', 'gid'], { options: { gid: process.getgid() } }],
  [entry, ['options', 'noNewPrivs'], { options: { noNewPrivs: true } }],
  [entry, ['options', 'rlimits'], { options: { rlimits: { nofile: 64 } } }],
  [entry, ['options', 'rlimits', 'nofile'], { options: { rlimits: { nofile: 64 } } }],
  [
    entry,
    ['options', 'rlimits', 'nofile', 'hard'],
    { options: { rlimits: { nofile: { soft: 64, hard: 64 } } } },
  ],
  [entry, ['options', 'seccomp'], { options: { seccomp: { deny: ['ptrace'] } } }],
  [entry, ['options', 'seccomp', 'deny'], { options: { seccomp: { deny: ['ptrace'] } } }],
  [entry, ['options', 'seccomp', 'deny', 0], { options: { seccomp: { deny: ['ptrace'] } } }],
  [
    entry,
    ['options', 'seccomp', 'aliases'],
    { options: { seccomp: { deny: ['ptrace'], aliases: true } } },
  ],
  [
    entry,
    ['options', 'seccomp', 'allowIoUring'],
    { options: { seccomp: { deny: ['ptrace'], allowIoUring: false } } },
  ],
  [entry, ['options', 'hostname'], { options: { flags: 'CLONE_NEWUTS', hostname: 'h' } }],
  [entry, ['options', 'domainname'], { options: { flags: 'CLONE_NEWUTS', domainname: 'd' } }],
  [
    entry,
    ['options', 'mountProc'],
    { options: { flags: FLAGS_WITH('NEWPID', 'NEWNS'), mountProc: true } },
  ],
  [entry, ['options', 'rootfs'], { options: { flags: 'CLONE_NEWNS', rootfs: '/' } }],
  [
    entry,
    ['options', 'mounts'],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt' }] } },
  ],
  [
    entry,
    ['options', 'mounts', 0],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt' }] } },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'type'],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt' }] } },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'target'],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt' }] } },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'size'],
    {
      options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt', size: 1 << 20 }] },
    },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'mode'],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/mnt', mode: 0o755 }] } },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'readonly'],
    {
      options: {
        flags: 'CLONE_NEWNS',
        mounts: [{ type: 'tmpfs', target: '/mnt', readonly: true }],
      },
    },
  ],
  [
    entry,
    ['options', 'mounts', 0, 'source'],
    { options: { flags: 'CLONE_NEWNS', mounts: [{ type: 'bind', source: '/', target: '/mnt' }] } },
  ],
  [
    entry,
    ['options', 'uidMap'],
    { options: { flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: 0, size: 1 }] } },
  ],
  [
    entry,
    ['options', 'uidMap', 0],
    { options: { flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: 0, size: 1 }] } },
  ],
  [
    entry,
    ['options', 'uidMap', 0, 'hostId'],
    { options: { flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: 0, size: 1 }] } },
  ],
  [
    entry,
    ['options', 'gidMap', 0, 'size'],
    { options: { flags: 'CLONE_NEWUSER', gidMap: [{ containerId: 0, hostId: 0, size: 1 }] } },
  ],
  [entry, ['options', 'mapRootUser'], { options: { flags: 'CLONE_NEWUSER', mapRootUser: true } }],
  [
    entry,
    ['options', 'setgroups'],
    { options: { flags: 'CLONE_NEWUSER', mapRootUser: true, setgroups: 'deny' } },
  ],
  [
    entry,
    ['options', 'timeOffsets'],
    { options: { flags: 'CLONE_NEWTIME', timeOffsets: { monotonic: 1 } } },
  ],
  [
    entry,
    ['options', 'timeOffsets', 'monotonic'],
    { options: { flags: 'CLONE_NEWTIME', timeOffsets: { monotonic: 1 } } },
  ],
  [
    entry,
    ['options', 'timeOffsets', 'boottime'],
    { options: { flags: 'CLONE_NEWTIME', timeOffsets: { boottime: 1 } } },
  ],
  [entry, ['options', 'cgroup'], { options: { cgroup: { path: `lc-hostile-${process.pid}` } } }],
  [
    entry,
    ['options', 'cgroup', 'path'],
    { options: { cgroup: { path: `lc-hostile-${process.pid}` } } },
  ],
  [entry, ['options', 'cgroup', 'pidsMax'], { options: { cgroup: { pidsMax: 'max' } } }],
  [entry, ['options', 'cgroup', 'memoryMax'], { options: { cgroup: { memoryMax: 'max' } } }],
  [entry, ['options', 'cgroup', 'cpuMax'], { options: { cgroup: { cpuMax: 'max' } } }],
  [
    entry,
    ['options', 'cgroup', 'cpuMax', 'quota'],
    { options: { cgroup: { cpuMax: { quota: 50000, period: 100000 } } } },
  ],
  [entry, ['options', 'enter'], { options: { enter: { target: 'box', namespaces: ['uts'] } } }],
  [
    entry,
    ['options', 'enter', 'target'],
    { options: { enter: { target: 'box', namespaces: ['uts'] } } },
  ],
  [
    entry,
    ['options', 'enter', 'namespaces'],
    { options: { enter: { target: 'box', namespaces: ['uts'] } } },
  ],
  [
    entry,
    ['options', 'enter', 'namespaces', 0],
    { options: { enter: { target: 'box', namespaces: ['uts'] } } },
  ],
];

const CASES = [
  ...spawnCases('spawn'),
  ...spawnCases('run'),
  ['run', ['options', 'timeout'], { options: { timeout: 5000 } }],
  ['run', ['options', 'killSignal'], { options: { killSignal: 'SIGKILL' } }],
  ['run', ['options', 'maxBuffer'], { options: { maxBuffer: 1024 } }],
  ['run', ['options', 'encoding'], { options: { encoding: 'utf8' } }],
  ['run', ['options', 'input'], { options: { input: 'x' } }],
  ['run', ['options', 'signal'], { options: { signal: 'abort-signal' } }],
  // runSync: run()'s options in one blocking call (no signal: nothing could abort it).
  ...spawnCases('runSync'),
  ['runSync', ['options', 'timeout'], { options: { timeout: 5000 } }],
  ['runSync', ['options', 'killSignal'], { options: { killSignal: 'SIGKILL' } }],
  ['runSync', ['options', 'maxBuffer'], { options: { maxBuffer: 1024 } }],
  ['runSync', ['options', 'encoding'], { options: { encoding: 'utf8' } }],
  ['runSync', ['options', 'input'], { options: { input: 'x' } }],
  ['clone', ['options'], { options: {} }],
  ['clone', ['options', 'flags'], { options: { flags: 'SIGCHLD' } }],
  ['clone', ['options', 'stackSize'], { options: { stackSize: 65536 } }],
  ['clone', ['options', 'tls'], { options: { flags: THREAD_FLAGS, tls: 'new' } }],
  ['clone', ['options', 'exitSignal'], { options: { exitSignal: 'SIGCHLD' } }],
  // cloneSync: clone()'s options, in one blocking call.
  ['cloneSync', ['options'], { options: {} }],
  ['cloneSync', ['options', 'flags'], { options: { flags: 'SIGCHLD' } }],
  ['cloneSync', ['options', 'stackSize'], { options: { stackSize: 65536 } }],
  ['cloneSync', ['options', 'tls'], { options: { flags: THREAD_FLAGS, tls: 'new' } }],
  ['cloneSync', ['options', 'exitSignal'], { options: { exitSignal: 'SIGCHLD' } }],
  // The Child's and the tasks' own arguments, and explain's flags.
  ['wait', ['options'], { options: {} }],
  ['wait', ['options', 'signal'], { options: { signal: 'abort-signal' } }],
  ['kill', ['signal'], { signal: 'SIGTERM' }],
  ['sumArray', ['view'], { view: new Int32Array([1, 2, 3]) }],
  ['sumArray', ['start'], { view: new Int32Array([1, 2, 3]), start: 1 }],
  ['sumArray', ['end'], { view: new Int32Array([1, 2, 3]), end: 2 }],
  ['explain', ['flags'], { flags: 'CLONE_NEWUTS' }],
];

// Options added to spawn later than this list get the kinds that need no
// valid value, so a new option is never left out of the campaign.
for (const key of SPAWN_KEYS) {
  if (!CASES.some(([entry, path]) => entry === 'spawn' && path[1] === key && path.length === 2))
    CASES.push(
      ['spawn', ['options', key], { options: {} }],
      ['run', ['options', key], { options: {} }],
    );
}

/** Made fresh for each call: the caller's own exception, matched by identity. */
class CallerError extends Error {}
let thrown;
const throwIt = () => {
  throw (thrown = new CallerError('the caller threw'));
};

const HUGE = 'x'.repeat(10 * 1024 * 1024);
const sparse = () => {
  const array = [];
  array.length = 2 ** 32 - 1;
  return array;
};
const TRAPS = [
  'get',
  'has',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'getPrototypeOf',
  'apply',
  'construct',
  'defineProperty',
  'set',
  'deleteProperty',
  'isExtensible',
  'preventExtensions',
  'setPrototypeOf',
];

/** Each hostile kind: makes the value from the valid one (undefined where the path has none), or defines a getter. */
const KINDS = {
  valid: (valid) => valid,
  changingGetter: 'getter',
  throwingGetter: 'getter',
  throwingProxy: () => new Proxy({}, Object.fromEntries(TRAPS.map((trap) => [trap, throwIt]))),
  throwingArrayProxy: () => new Proxy([], Object.fromEntries(TRAPS.map((trap) => [trap, throwIt]))),
  throwingFunctionProxy: () =>
    new Proxy(() => {}, Object.fromEntries(TRAPS.map((trap) => [trap, throwIt]))),
  passThroughProxy: (valid) =>
    typeof valid === 'object' && valid !== null ? new Proxy(valid, {}) : valid,
  throwingToString: () => ({ toString: throwIt, valueOf: throwIt, [Symbol.toPrimitive]: throwIt }),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  throwingConstructor: () => Object.defineProperty({}, 'constructor', { get: throwIt }),
  nullPrototype: () => Object.create(null),
  sparseArray: () => sparse(),
  symbol: () => Symbol('hostile'),
  bigint: () => 2n ** 64n,
  function: () => () => {},
  negative: () => -1,
  nan: () => NaN,
  infinity: () => Infinity,
  emptyString: () => '',
  hugeString: () => HUGE,
  nul: () => 'a\0b',
  null: () => null,
  array: () => [HUGE],
};

function build(entry, base) {
  const defaults = Object.hasOwn(OTHER_ENTRIES, entry)
    ? {}
    : { file: 'true', args: [], options: {} };
  const call = { ...defaults, ...structuredClone(base) };
  if (call.options?.signal === 'abort-signal') call.options.signal = new AbortController().signal;
  if (call.options?.enter?.target === 'box') call.options.enter.target = box.pid;
  return call;
}

/** Puts the hostile kind at `path`; returns a function that says how many times a getter was read. */
function place(call, path, kind) {
  let parent = call;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const last = path.at(-1);
  const valid = parent[last];
  let reads = 0;
  if (KINDS[kind] === 'getter') {
    const get =
      kind === 'throwingGetter'
        ? throwIt
        : () => (reads++ === 0 ? valid : typeof valid === 'string' ? `../../${HUGE}` : sparse());
    Object.defineProperty(parent, last, { enumerable: true, configurable: true, get });
  } else {
    parent[last] = KINDS[kind](valid);
  }
  return () => reads;
}

/** The entries that are not spawn, run or clone: each reads its own arguments from `call`. */
const OTHER_ENTRIES = {
  wait: async ({ options }) => {
    const child = lib.spawn('true', [], { stdio: 'ignore' });
    try {
      await child.wait(options);
    } finally {
      child.close();
    }
  },
  kill: async ({ signal }) => {
    const child = lib.spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      child.kill(signal);
    } finally {
      child.close();
    }
  },
  sumArray: async ({ view, start, end }) => {
    await lib.clone(lib.tasks.sumArray(view, start, end), { flags: lib.presets.thread }).wait();
  },
  explain: async ({ flags }) => {
    lib.explain(flags);
  },
};

async function invoke(entry, call) {
  if (Object.hasOwn(OTHER_ENTRIES, entry)) return OTHER_ENTRIES[entry](call);
  // Read once here: the getter cases put a getter inside these, not on them.
  const { file, args, options } = call;
  if (entry === 'clone') {
    await lib.clone(lib.tasks.exit(0), options).wait();
  } else if (entry === 'cloneSync') {
    lib.cloneSync(lib.tasks.exit(0), options);
  } else if (entry === 'spawn') {
    await lib.spawn(file, args, options).wait();
  } else if (entry === 'runSync') {
    lib.runSync(file, args, options);
  } else {
    await lib.run(file, args, options);
  }
}

function outcomeOf(error) {
  if (error === thrown) return 'caller';
  if (error instanceof Error && typeof error.code === 'string') return `coded ${error.code}`;
  return `UNCODED ${error?.constructor?.name}: ${String(error?.message ?? error).slice(0, 300)}`;
}

const fds = () => readdirSync('/proc/self/fd').length;
const zombies = () =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' && Number(ppid) === process.pid;
      } catch {
        return false;
      }
    }).length;

/** The process whose namespaces `enter` enters: a UTS namespace of its own. */
let box;

(async () => {
  // Calls first, so the addon, the streams' lazy state and the /dev/null
  // kept for ignored slots are there before the count.
  await lib.run('true');
  await lib.spawn('true', [], { stdio: 'ignore' }).wait();
  const before = { fds: fds() };
  box = lib.spawn('sleep', ['1000'], { flags: 'CLONE_NEWUTS', stdio: 'ignore' });
  const outcomes = [];
  for (const [entry, path, base] of CASES) {
    for (const kind of Object.keys(KINDS)) {
      if (KINDS[kind] === 'getter' && path.length < 2) continue;
      const call = build(entry, base);
      const reads = place(call, path, kind);
      thrown = undefined;
      const clonesBefore = clones;
      const started = process.hrtime.bigint();
      let outcome = 'ran';
      try {
        await invoke(entry, call);
      } catch (error) {
        outcome = outcomeOf(error);
      }
      outcomes.push({
        entry,
        path: path.join('.'),
        kind,
        outcome,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        clones: clones - clonesBefore,
        reads: reads(),
      });
    }
  }
  box.kill('SIGKILL');
  await box.wait();
  await new Promise((resolve) => setTimeout(resolve, 200));
  process.stdout.write(
    `${JSON.stringify({ outcomes, before, after: { fds: fds() }, zombies: zombies() })}\n`,
  );
})();
