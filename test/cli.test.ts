import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';

import { CLI } from './helpers';

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 30000 });
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
    const result = JSON.parse(line2!) as Record<string, unknown>;
    expect(result).toMatchObject({ exitCode: 0, signal: null, flags: 'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD', syscall: 'clone3' });
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
    const { stdout } = cli(['run', '--flags', 'CLONE_NEWUTS | CLONE_NEWIPC', '--cwd', '/tmp', '--clear-env', '--env', 'A=1', '--env', 'B=x=y', '--json', '--', '/bin/sh', '-c', 'pwd; env | sort']);
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual(['/tmp', 'A=1', 'B=x=y', 'PWD=/tmp']);
    expect((JSON.parse(lines.at(-1)!) as { flags: string }).flags).toBe('CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_NEWUTS|CLONE_NEWIPC|SIGCHLD');
  });

  it('--new-session and --die-with-parent reach the child', () => {
    const { stdout } = cli(['run', '--new-session', '--die-with-parent', '--', 'sh', '-c', 'echo $$ $(cut -d" " -f6 /proc/$$/stat); grep -c . /proc/$$/status']);
    const [pid, sid] = stdout.split('\n')[0]!.split(' ');
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
    expect(stderr).toBe('linux-clone: CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_SYSVSEM|CLONE_NEWIPC|SIGCHLD: clone would fail with EINVAL: both CLONE_NEWIPC and CLONE_SYSVSEM were specified\n');
  });

  it('a misspelt flag gets a hint', () => {
    const { status, stderr } = cli(['run', '--flags', 'CLONE_NEWUTZ', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toMatch(/did you mean CLONE_NEWUTS\?/);
  });

  it('exits 127 for a missing program and 126 for one that cannot run', () => {
    expect(cli(['run', '--', 'no-such-program-xyz'])).toMatchObject({ status: 127, stderr: expect.stringMatching(/ENOENT/) });
    expect(cli(['run', '--', '/etc'])).toMatchObject({ status: 126, stderr: expect.stringMatching(/EACCES/) });
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

  it('--help documents every option', () => {
    const { stdout, status } = cli(['run', '--help']);
    expect(status).toBe(0);
    for (const option of ['--flags', '--user', '--pid', '--mount', '--net', '--uts', '--ipc', '--cgroup', '--cwd', '--env', '--die-with-parent', '--timeout', '--json']) {
      expect(stdout).toContain(option);
    }
    expect(cli(['--help']).stdout).toContain('run');
  });
});
