import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI, DIST } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { spawn } = require(DIST) as typeof import('../lib/index');

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env,
    timeout: 30000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('linux-clone run', () => {
  it('exits with the child’s code', () => {
    expect(cli(['run', '--', 'sh', '-c', 'exit 42']).status).toBe(42);
  });

  it('exits 128+signal when a signal ended the child', () => {
    expect(cli(['run', '--', 'sh', '-c', 'kill -TERM $$']).status).toBe(128 + 15);
  });

  it('--json prints one line after the child’s output, with the flags and pid', () => {
    const { stdout, status } = cli(['run', '--json', '--', 'echo', 'hello']);
    expect(status).toBe(0);
    const [line1, line2, extra] = stdout.split('\n');
    expect(line1).toBe('hello');
    expect(extra).toBe('');
    const result = JSON.parse(line2) as Record<string, unknown>;
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      flags: 'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD',
      syscall: 'clone3',
    });
    expect(result.pid).toEqual(expect.any(Number));
  });

  it.each([
    ['--pid', 'CLONE_NEWPID', 'echo $$', '1\n'],
    ['--uts', 'CLONE_NEWUTS', 'hostname cli-box && hostname', 'cli-box\n'],
    ['--net', 'CLONE_NEWNET', "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", 'lo\n'],
    ['--mount', 'CLONE_NEWNS', 'true', ''],
    ['--ipc', 'CLONE_NEWIPC', 'true', ''],
    ['--cgroup', 'CLONE_NEWCGROUP', 'cat /proc/self/cgroup | head -1 | cut -d: -f3', '/\n'],
    ['--user', 'CLONE_NEWUSER', 'id -u', '65534\n'],
  ])('%s adds %s', (option, flag, script, output) => {
    const { stdout, status } = cli(['run', option, '--json', '--', 'sh', '-c', script]);
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(`${lines.slice(0, -2).join('\n')}${lines.length > 2 ? '\n' : ''}`).toBe(output);
    expect((JSON.parse(lines.at(-2)!) as { flags: string }).flags).toContain(flag);
  });

  it('the host keeps its hostname', () => {
    cli(['run', '--uts', '--', 'hostname', 'changed-inside']);
    expect(hostname()).not.toBe('changed-inside');
  });

  it('--flags takes strace syntax and --cwd, --env, --clear-env set the program’s world', () => {
    const { stdout } = cli([
      'run',
      '--flags',
      'CLONE_NEWUTS | CLONE_NEWIPC',
      '--cwd',
      '/tmp',
      '--clear-env',
      '--env',
      'A=1',
      '--env',
      'B=x=y',
      '--json',
      '--',
      '/bin/sh',
      '-c',
      'pwd; env | sort',
    ]);
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual(['/tmp', 'A=1', 'B=x=y', 'PWD=/tmp']);
    expect((JSON.parse(lines.at(-1)!) as { flags: string }).flags).toBe(
      'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_NEWUTS|CLONE_NEWIPC|SIGCHLD',
    );
  });

  it('--new-session and --die-with-parent reach the child', () => {
    const { stdout } = cli([
      'run',
      '--new-session',
      '--die-with-parent',
      '--',
      'sh',
      '-c',
      'echo $$ $(cut -d" " -f6 /proc/$$/stat); grep -c . /proc/$$/status',
    ]);
    const [pid, sid] = stdout.split('\n')[0].split(' ');
    expect(sid).toBe(pid);
  });

  it('--timeout ends the child and exits 128+SIGTERM', () => {
    const { status, stdout } = cli(['run', '--timeout', '100', '--json', '--', 'sleep', '10']);
    expect(status).toBe(128 + 15);
    expect(JSON.parse(stdout.trim())).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
  });

  it('a refused flag set exits 125 with the rule, never a stack trace', () => {
    const { status, stderr } = cli(['run', '--flags', 'CLONE_NEWIPC|CLONE_SYSVSEM', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toBe(
      'linux-clone: CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_SYSVSEM|CLONE_NEWIPC|SIGCHLD: clone would fail with EINVAL: both CLONE_NEWIPC and CLONE_SYSVSEM were specified\n',
    );
  });

  it.each([
    [
      ['--enter', String(process.pid), '--ns', ''],
      /options\.enter\.namespaces must name at least one/,
    ],
    [['--seccomp-deny', 'opne'], /did you mean "open"\?/],
    [['--map-root-user', '--uid-map', '0 0 1'], /cannot be combined with uidMap/],
    [['--hostname', 'h'.repeat(65)], /at most 64 bytes/],
    [['--flags', 'CLONE_NEWUTS|SIGFOO'], /unknown signal SIGFOO/],
    [['--enter', '0'], /options\.enter\.target must be an integer from 1/],
  ])(
    'an option value the library refuses (%j) is a usage error: exit 2, not 125 (issue 14, item 19)',
    (args, message) => {
      const { status, stderr } = cli(['run', ...args, '--', 'true']);
      expect(stderr).toMatch(message);
      expect(stderr).toContain("Run 'linux-clone --help' for usage.");
      expect(status).toBe(2);
    },
  );

  it('a misspelt flag gets a hint', () => {
    const { status, stderr } = cli(['run', '--flags', 'CLONE_NEWUTZ', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toMatch(/did you mean CLONE_NEWUTS\?/);
  });

  it('exits 127 for a missing program and 126 for one that cannot run', () => {
    expect(cli(['run', '--', 'no-such-program-xyz'])).toMatchObject({
      status: 127,
      stderr: expect.stringMatching(/ENOENT/),
    });
    expect(cli(['run', '--', '/etc'])).toMatchObject({
      status: 126,
      stderr: expect.stringMatching(/EACCES/),
    });
  });

  it('usage errors exit 2', () => {
    expect(cli(['run', '--bogus', '--', 'true']).status).toBe(2);
    expect(cli(['run']).status).toBe(2);
    expect(cli(['run', '--timeout', 'soon', '--', 'true']).status).toBe(2);
    expect(cli(['run', '--env', 'NOEQUALS', '--', 'true']).status).toBe(2);
    expect(cli(['frobnicate']).status).toBe(2);
    expect(cli([]).status).toBe(2);
  });

  it('CMD’s own options are its own, with or without --', () => {
    expect(cli(['run', '--pid', 'sh', '-c', 'echo $$']).stdout).toBe('1\n');
  });

  describe('container switches', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'linux-clone-cli-'));
      for (const d of ['usr', 'proc', 'data', 'tmp'])
        mkdirSync(join(dir, 'root', d), { recursive: true });
      for (const l of ['bin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, join(dir, 'root', l));
      mkdirSync(join(dir, 'shared'));
      writeFileSync(join(dir, 'shared', 'file'), 'from the host\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const cgroup2 = readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ');
    const v2Controllers = (() => {
      const mount = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.includes(' - cgroup2 '))
        ?.split(' ')[4];
      const own = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1] ?? '/';
      return mount === undefined
        ? []
        : readFileSync(join(mount, own, 'cgroup.controllers'), 'utf8').split(/\s+/);
    })();

    it.each<[string, string[], string, string | RegExp, string | null]>([
      ['--map-root-user', ['--map-root-user'], 'id -u; id -g', '0\n0\n', 'CLONE_NEWUSER'],
      [
        '--uid-map and --gid-map',
        ['--uid-map', '0 0 1', '--uid-map', '1000 1000 1', '--gid-map', '0 0 1'],
        'cat /proc/self/uid_map | tr -s " "',
        ' 0 0 1\n 1000 1000 1\n',
        'CLONE_NEWUSER',
      ],
      ['--hostname', ['--hostname', 'cli-host'], 'hostname', 'cli-host\n', 'CLONE_NEWUTS'],
      [
        '--mount-proc',
        ['--mount-proc'],
        'echo $$; ls /proc | grep -c "^[0-9]"',
        /^1\n[1-3]\n$/,
        'CLONE_NEWPID',
      ],
      [
        '--time with --boottime-offset',
        ['--boottime-offset', '1000000'],
        'cut -d. -f1 /proc/uptime',
        /^10\d{5}\n$/,
        null,
      ],
      [
        '--monotonic-offset',
        ['--time', '--monotonic-offset', '2000000'],
        'cat /proc/self/timens_offsets | tr -s " "',
        /monotonic 2000000 0/,
        null,
      ],
      [
        '--rlimit',
        ['--rlimit', 'nofile=77', '--rlimit', 'core=0:unlimited'],
        'ulimit -n; ulimit -c; ulimit -Hc',
        '77\n0\nunlimited\n',
        null,
      ],
      [
        '--no-new-privs',
        ['--no-new-privs'],
        'grep NoNewPrivs /proc/self/status | tr -d "\t"',
        'NoNewPrivs:1\n',
        null,
      ],
      [
        '--seccomp-deny',
        ['--seccomp-deny', 'mkdir,mkdirat'],
        'mkdir /tmp/cli-denied-$$ 2>&1; true',
        /Operation not permitted/,
        null,
      ],
      [
        '--cgroup-path',
        ['--cgroup-path', `cli-${process.pid}`],
        'grep ^0:: /proc/self/cgroup',
        new RegExp(`^0::.*/cli-${process.pid}\n$`),
        'CLONE_INTO_CGROUP',
      ],
    ])('%s', (_name, switches, script, output, flag) => {
      const { stdout, status, stderr } = cli([
        'run',
        ...switches,
        '--json',
        '--',
        'sh',
        '-c',
        script,
      ]);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const lines = stdout.split('\n');
      const result = JSON.parse(lines.at(-2)!) as { flags: string };
      const out = `${lines.slice(0, -2).join('\n')}\n`;
      if (typeof output === 'string') expect(out).toBe(output);
      else expect(out).toMatch(output);
      if (flag !== null) expect(result.flags).toContain(flag);
    });

    it('--root, --bind, --ro-bind and --tmpfs build a root', () => {
      const { stdout, status, stderr } = cli([
        'run',
        '--map-root-user',
        '--mount-proc',
        '--root',
        join(dir, 'root'),
        '--ro-bind',
        '/usr:/usr',
        '--bind',
        `${join(dir, 'shared')}:/data`,
        '--tmpfs',
        '/tmp',
        '--env',
        'PATH=/usr/bin',
        '--',
        'sh',
        '-c',
        'ls /; cat /data/file; touch /usr/x 2>&1 | grep -c Read-only; grep -c " /tmp " /proc/self/mountinfo',
      ]);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(stdout).toBe('bin\ndata\nlib\nlib64\nproc\ntmp\nusr\nfrom the host\n1\n1\n');
    });

    it('--enter and --ns run a command in a running child’s namespaces', async () => {
      const box = spawn('/bin/sleep', ['30'], {
        flags: 'CLONE_NEWUTS|CLONE_NEWPID',
        hostname: 'entered',
        stdio: 'ignore',
      });
      try {
        expect(
          cli(['run', '--enter', String(box.pid), '--ns', 'uts', '--', 'hostname']).stdout,
        ).toBe('entered\n');
        expect(
          cli(['run', '--enter', String(box.pid), '--', 'sh', '-c', 'hostname; echo $$']).stdout,
        ).toMatch(/^entered\n[2-9]\n$/);
        expect(cli(['run', '--ns', 'uts', '--', 'true']).status).toBe(2);
      } finally {
        box.kill('SIGKILL');
        await box.wait();
      }
    });

    it.each([
      ['--memory-max', '64000000', 'memory'],
      ['--pids-max', '10', 'pids'],
      ['--cpu-max', '50000/100000', 'cpu'],
    ])(
      '%s makes a cgroup v2 with that limit, or exits 125 naming the missing controller',
      (option, value, controller) => {
        const { stdout, status, stderr } = cli([
          'run',
          option,
          value,
          '--',
          'sh',
          '-c',
          'cat /sys/fs/cgroup/unified/$(grep ^0:: /proc/self/cgroup | cut -d: -f3)/' +
            controller +
            '.max 2>/dev/null || echo none',
        ]);
        expect(cgroup2).toBe(true);
        if (v2Controllers.includes(controller)) {
          expect(status).toBe(0);
          expect(stdout).not.toBe('none\n');
        } else {
          expect(status).toBe(125);
          expect(stderr).toMatch(new RegExp(`no "${controller}" controller`));
        }
      },
    );

    it('bad container switches are usage errors', () => {
      expect(cli(['run', '--uid-map', '0 0', '--', 'true']).status).toBe(2);
      expect(cli(['run', '--bind', 'nocolon', '--', 'true']).status).toBe(2);
      expect(cli(['run', '--rlimit', 'nofile', '--', 'true']).status).toBe(2);
      expect(cli(['run', '--pids-max', 'many', '--', 'true']).status).toBe(2);
    });
  });

  it('--help documents every option', () => {
    const { stdout, status } = cli(['run', '--help']);
    expect(status).toBe(0);
    const documented = [...stdout.matchAll(/^ {2}(--[\w-]+)/gm)].map((m) => m[1]);
    for (const option of [
      '--flags',
      '--user',
      '--pid',
      '--mount',
      '--net',
      '--uts',
      '--ipc',
      '--cgroup',
      '--time',
      '--cwd',
      '--env',
      '--die-with-parent',
      '--timeout',
      '--json',
      '--map-root-user',
      '--uid-map',
      '--gid-map',
      '--hostname',
      '--mount-proc',
      '--root',
      '--bind',
      '--ro-bind',
      '--tmpfs',
      '--monotonic-offset',
      '--boottime-offset',
      '--memory-max',
      '--pids-max',
      '--cpu-max',
      '--cgroup-path',
      '--rlimit',
      '--no-new-privs',
      '--seccomp-deny',
      '--enter',
      '--ns',
    ]) {
      expect(documented).toContain(option);
    }
    expect(cli(['--help']).stdout).toContain('run');
  });
});

describe('linux-clone bench', () => {
  it('runs the named benchmarks and writes their results to --out', () => {
    const out = mkdtempSync(join(tmpdir(), 'linux-clone-cli-bench-'));
    try {
      const result = spawnSync(
        process.execPath,
        [CLI, 'bench', 'threads', '--iterations', '3', '--json', '--out', out],
        { encoding: 'utf8', timeout: 120000 },
      );
      expect(result.status).toBe(0);
      // With --json the suite collects every result into one file and prints its path.
      expect(result.stdout).toBe(`${join(out, 'all.json')}\n`);
      expect(JSON.parse(readFileSync(join(out, 'all.json'), 'utf8'))).toMatchObject({
        threads: { benchmark: 'threads', iterations: 3 },
      });
      expect(JSON.parse(readFileSync(join(out, 'threads.json'), 'utf8'))).toMatchObject({
        benchmark: 'threads',
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses an unknown benchmark and documents its options', () => {
    const unknown = cli(['bench', 'forks']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown benchmark forks; there are spawn, threads');
    const help = cli(['bench', '--help']).stdout;
    for (const option of ['--quick', '--iterations', '--json', '--out'])
      expect(help).toContain(option);
    expect(cli(['--help']).stdout).toContain('bench');
  });
});
