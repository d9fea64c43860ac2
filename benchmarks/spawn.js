'use strict';
// Spawn+wait of /bin/true against the parent's memory, in one run: 0, 256
// MiB, 1 GiB and 2 GiB touched, as Buffers and as JS heap objects. Compares
// linux-clone (vfork fast path, run(), and a fork-like flag set),
// child_process spawn and spawnSync, C posix_spawn and C fork+exec. Reports
// per-spawn latency, the time the event loop was blocked, the CPU the main
// thread used, each line's ms/GiB, and (with strace) the main thread's
// syscalls per spawn beside C posix_spawn's.
const { spawn: cpSpawn, spawnSync: cpSpawnSync, spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { getHeapStatistics } = require('node:v8');

const lib = require('..');
const {
  compileBaseline,
  main,
  parseArgs,
  progress,
  report,
  runBaselineNumbers,
  slope,
} = require('./harness');
const { syscallsPerSpawn } = require('./syscalls');

const PROGRAM = '/bin/true';
const FIXED_ENV = { ...process.env };

/** Async contenders: `start` returns the promise of the exit; its own duration is the blocked time. */
const CONTENDERS = {
  'linux-clone': () => lib.spawn(PROGRAM, [], { stdio: 'ignore' }).wait(),
  // What reading process.env costs shows as the difference to the line above.
  'linux-clone env given': () => lib.spawn(PROGRAM, [], { stdio: 'ignore', env: FIXED_ENV }).wait(),
  // Its output collected through pipes, as run() does by default.
  'linux-clone run()': () => lib.run(PROGRAM),
  'linux-clone fork-like': () =>
    lib.spawn(PROGRAM, [], { stdio: 'ignore', flags: lib.presets.process, fastPath: false }).wait(),
  'child_process.spawn': () =>
    new Promise((resolve, reject) =>
      cpSpawn(PROGRAM, [], { stdio: 'ignore' }).on('exit', resolve).on('error', reject),
    ),
  'child_process.spawnSync': () => cpSpawnSync(PROGRAM, [], { stdio: 'ignore' }),
};
/** Lines whose cost grows with the heap get fewer iterations there. */
const GROWS_WITH_HEAP = new Set([
  'linux-clone fork-like',
  'child_process.spawn',
  'child_process.spawnSync',
  'C fork+exec',
]);

function iterationsFor(name, heapMiB, iterations) {
  return GROWS_WITH_HEAP.has(name)
    ? Math.max(5, Math.round(iterations / (1 + heapMiB / 50)))
    : iterations;
}

/** Touched parent memory: Buffers (outside the V8 heap) or arrays of doubles (inside it). */
function ballast(kind, mib) {
  const chunks = [];
  for (let done = 0; done < mib; done += 8) {
    chunks.push(kind === 'buffer' ? Buffer.alloc(8 << 20, 1) : new Array(1 << 20).fill(1.5));
  }
  return chunks;
}

/** Nanoseconds of CPU Node's main thread has used (its schedstat: exact, not in ticks). */
function mainThreadCpuNs() {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function measure(name, start, iterations) {
  let blocked = 0n;
  const once = async () => {
    const before = process.hrtime.bigint();
    const exit = start();
    blocked += process.hrtime.bigint() - before;
    await exit;
  };
  for (let i = 0; i < Math.min(5, iterations); i++) await once();
  blocked = 0n;
  const cpuBegin = mainThreadCpuNs();
  const begin = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  const total = Number(process.hrtime.bigint() - begin);
  const cpuUs = (mainThreadCpuNs() - cpuBegin) / iterations / 1000;
  return { us: total / iterations / 1000, blockedUs: Number(blocked) / iterations / 1000, cpuUs };
}

async function run() {
  const options = parseArgs(process.argv.slice(2), {
    iterations: 300,
    heaps: [0, 256, 1024, 2048],
    quickHeaps: [0, 256, 1024],
  });
  // Arrays of doubles for 2 GiB need a V8 heap bigger than the default.
  const needMiB = Math.max(...options.heaps) + 1024;
  if (getHeapStatistics().heap_size_limit < needMiB * 2 ** 20) {
    const again = spawnSync(
      process.execPath,
      [`--max-old-space-size=${needMiB}`, __filename, ...process.argv.slice(2)],
      { stdio: 'inherit' },
    );
    process.exitCode = again.status ?? 1;
    return;
  }
  const posixSpawn = compileBaseline('posix_spawn');
  const forkExec = compileBaseline('fork_exec');
  const cases = [{ kind: 'none', heapMiB: 0 }];
  for (const kind of ['buffer', 'js heap'])
    for (const heapMiB of options.heaps.filter((h) => h > 0)) cases.push({ kind, heapMiB });
  const rows = [];
  let step = 0;
  for (const { kind, heapMiB } of cases) {
    const memory = ballast(kind, heapMiB);
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    for (const [name, start] of Object.entries(CONTENDERS)) {
      progress(`spawn: ${name}, ${heapMiB} MiB as ${kind} (${++step})`);
      const { us, blockedUs, cpuUs } = await measure(
        name,
        start,
        iterationsFor(name, heapMiB, options.iterations),
      );
      rows.push({ kind, heapMiB, rssMiB, contender: name, us, blockedUs, cpuUs });
    }
    // The C programs touch the same amount of their own memory.
    for (const [name, bin] of [
      ['C posix_spawn', posixSpawn],
      ['C fork+exec', forkExec],
    ]) {
      progress(`spawn: ${name}, ${heapMiB} MiB (${++step})`);
      const [ns, cpuNs] = runBaselineNumbers(bin, [
        iterationsFor(name, heapMiB, options.iterations),
        heapMiB,
        PROGRAM,
      ]);
      const us = ns / 1000;
      rows.push({ kind, heapMiB, rssMiB, contender: name, us, blockedUs: us, cpuUs: cpuNs / 1000 });
    }
    memory.length = 0;
  }

  const at = (kind, heapMiB, contender) =>
    rows.find(
      (r) =>
        (r.kind === kind || heapMiB === 0) && r.heapMiB === heapMiB && r.contender === contender,
    )?.us;
  const slopes = [];
  for (const contender of [...Object.keys(CONTENDERS), 'C posix_spawn', 'C fork+exec']) {
    for (const kind of ['buffer', 'js heap']) {
      const points = rows
        .filter((r) => r.contender === contender && (r.kind === kind || r.heapMiB === 0))
        .map((r) => [r.heapMiB / 1024, r.us / 1000]);
      slopes.push({ contender, kind, msPerGiB: slope(points) });
    }
  }
  const gib = options.heaps.includes(1024) ? 1024 : Math.max(...options.heaps);
  const ratio = (kind, heapMiB, over, under) => at(kind, heapMiB, over) / at(kind, heapMiB, under);
  // Issue 16's targets, each a ratio of two lines of this run.
  const targets = [
    {
      target: 'linux-clone / C posix_spawn at the normal heap (<= 1.1)',
      value: ratio('none', 0, 'linux-clone', 'C posix_spawn'),
    },
    {
      target: `linux-clone / C posix_spawn at ${gib} MiB of Buffers (<= 1.1)`,
      value: ratio('buffer', gib, 'linux-clone', 'C posix_spawn'),
    },
    {
      target: 'linux-clone run() / C posix_spawn at the normal heap (<= 1.15)',
      value: ratio('none', 0, 'linux-clone run()', 'C posix_spawn'),
    },
    {
      target: 'child_process.spawn / linux-clone at the normal heap (>= 1.8)',
      value: ratio('none', 0, 'child_process.spawn', 'linux-clone'),
    },
    {
      target: `child_process.spawn / linux-clone at ${gib} MiB of Buffers (>= 10)`,
      value: ratio('buffer', gib, 'child_process.spawn', 'linux-clone'),
    },
    {
      target: 'linux-clone ms per GiB of Buffers (flat: ~0)',
      value: slopes.find((s) => s.contender === 'linux-clone' && s.kind === 'buffer').msPerGiB,
    },
  ];
  progress('spawn: syscalls per spawn (strace)');
  const syscalls = syscallsPerSpawn({ posixSpawn, program: PROGRAM });
  await report('spawn', options, {
    tables: {
      'µs per spawn+wait (blocked: µs the event loop was blocked per spawn; cpu: µs of CPU the main thread used per spawn)':
        rows,
      'ms per GiB of parent memory': slopes,
      [`syscalls per spawn+wait made by the parent's main thread (${syscalls.how})`]: syscalls.rows,
      targets,
    },
    rows,
    slopes,
    syscalls,
    targets,
    chartSpec: {
      title: 'spawn+wait of /bin/true against touched parent memory',
      data: { values: rows.filter((r) => r.kind !== 'js heap') },
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'heapMiB',
          type: 'quantitative',
          title: 'touched parent memory, MiB (Buffers)',
        },
        y: {
          field: 'us',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'µs per spawn+wait (log)',
        },
        color: { field: 'contender', type: 'nominal' },
      },
    },
  });
}

main(run);
