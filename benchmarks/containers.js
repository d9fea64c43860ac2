'use strict';
// The time to run /bin/true in new USER|PID|NS|UTS|IPC namespaces (uid 0
// mapped to ours), and with NET too: linux-clone doing it itself, against
// unshare(1) and bubblewrap doing the same, all started from this Node
// process and waited for. The tools are started with linux-clone's plain
// spawn, the cheapest launcher here, so the comparison favours them.
const { spawnSync } = require('node:child_process');

const lib = require('..');
const { main, parseArgs, progress, report, timeUs } = require('./harness');

const SETS = {
  'USER|PID|NS|UTS|IPC': {
    flags: 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC',
    unshare: [],
    bwrap: [],
  },
  '+NET': {
    flags: 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET',
    unshare: ['--net'],
    bwrap: ['--unshare-net'],
  },
};

function contenders(set) {
  const list = {
    'linux-clone': () =>
      lib.spawn('/bin/true', { flags: set.flags, mapRootUser: true, stdio: 'ignore' }),
  };
  if (has('unshare')) {
    const args = [
      '--user',
      '--map-root-user',
      '--pid',
      '--fork',
      '--mount',
      '--uts',
      '--ipc',
      ...set.unshare,
      '/bin/true',
    ];
    list['unshare(1)'] = () => lib.spawn('unshare', args, { stdio: 'ignore' });
  }
  if (has('bwrap')) {
    const args = [
      '--unshare-user',
      '--uid',
      '0',
      '--gid',
      '0',
      '--unshare-pid',
      '--unshare-uts',
      '--unshare-ipc',
      ...set.bwrap,
      '--bind',
      '/',
      '/',
      '/bin/true',
    ];
    list['bwrap'] = () => lib.spawn('bwrap', args, { stdio: 'ignore' });
  }
  return list;
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

async function run() {
  const options = parseArgs(process.argv.slice(2), { iterations: 200 });
  const rows = [];
  const targets = [];
  for (const [name, set] of Object.entries(SETS)) {
    const us = {};
    // NET namespaces take milliseconds to tear down; fewer of them.
    const iterations =
      name === '+NET' ? Math.max(3, Math.round(options.iterations / 4)) : options.iterations;
    for (const [contender, start] of Object.entries(contenders(set))) {
      progress(`containers: ${name} ${contender}`);
      us[contender] = await timeUs(
        iterations,
        async () => {
          const exit = await start().wait();
          if (exit.exitCode !== 0) throw new Error(`${contender} failed: ${JSON.stringify(exit)}`);
        },
        5,
      );
      rows.push({ namespaces: name, contender, us: us[contender] });
    }
    for (const tool of ['unshare(1)', 'bwrap']) {
      if (us[tool] !== undefined)
        targets.push({
          target: `${name}: linux-clone / ${tool} (<= 1)`,
          value: us['linux-clone'] / us[tool],
        });
      else
        targets.push({
          target: `${name}: linux-clone / ${tool} (<= 1)`,
          value: null,
          missing: `${tool} is not installed`,
        });
    }
  }
  await report('containers', options, {
    tables: { 'µs per spawn+wait of /bin/true in new namespaces': rows, targets },
    rows,
    targets,
    chartSpec: {
      title: 'spawn+wait of /bin/true in new namespaces',
      data: { values: rows },
      mark: 'bar',
      encoding: {
        y: { field: 'contender', type: 'nominal', title: null },
        x: { field: 'us', type: 'quantitative', title: 'µs per spawn+wait' },
        row: { field: 'namespaces', type: 'nominal', title: null },
        color: { field: 'contender', type: 'nominal', legend: null },
      },
      height: { step: 18 },
    },
  });
}

main(run);
