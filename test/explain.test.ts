import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

import {
  CloneFlags,
  explain,
  NAMESPACES,
  presets,
  probe,
  RESOURCES,
  type SharingReport,
} from '../lib';
import { CLI, hasCommand, itIf, zombieChildren } from './helpers';

const SETS = [
  presets.thread,
  presets.vfork,
  presets.process,
  presets.container,
  'CLONE_VM|SIGCHLD',
  'CLONE_FS|SIGCHLD',
  'CLONE_FILES|SIGCHLD',
  'CLONE_VM|CLONE_SIGHAND|SIGCHLD',
  'CLONE_SYSVSEM|SIGCHLD',
  'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_CHILD_CLEARTID',
  'CLONE_NEWPID|CLONE_NEWNS|SIGCHLD',
  'CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD',
  'CLONE_NEWUSER|CLONE_NEWCGROUP|SIGCHLD',
  'CLONE_NEWTIME|SIGCHLD',
  'CLONE_VM|CLONE_NEWTIME|SIGCHLD',
  'CLONE_VM|CLONE_FILES|CLONE_VFORK|CLONE_NEWUTS',
  'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_PARENT|CLONE_CHILD_CLEARTID',
];

const verdicts = (r: SharingReport) =>
  Object.fromEntries([...RESOURCES, ...NAMESPACES].map((k) => [k, r[k]]));

/** Node's state the probe may touch: umask, cwd, open fds, signal dispositions. */
function parentState() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const umask = process.umask(0o022);
  process.umask(umask);
  return {
    umask,
    cwd: process.cwd(),
    fds: readdirSync('/proc/self/fd').length,
    ignored: /^SigIgn:\s*(\w+)$/m.exec(status)![1],
    caught: /^SigCgt:\s*(\w+)$/m.exec(status)![1],
  };
}

describe('explain and probe', () => {
  it.each(SETS.map((f) => [String(f)]))(
    'agree on every resource for %s, and the probe leaves Node as it was',
    async (flags) => {
      const before = parentState();
      const measured = await probe(flags);
      expect(verdicts(measured)).toEqual(verdicts(explain(flags)));
      expect(measured.flags).toBe(String(CloneFlags.parse(flags)));
      expect(parentState()).toEqual(before);
      expect(zombieChildren()).toEqual([]);
    },
  );

  it('the presets show the seed’s scale: thread, vfork, process, container', () => {
    const [thread, vfork, proc, container] = [
      presets.thread,
      presets.vfork,
      presets.process,
      presets.container,
    ].map((f) => explain(f));
    expect(RESOURCES.every((r) => thread[r] === 'shared')).toBe(true);
    expect(vfork.memory).toBe('shared');
    expect(RESOURCES.every((r) => proc[r] === 'copied')).toBe(true);
    expect(NAMESPACES.filter((ns) => container[ns] === 'new')).toEqual([
      'mnt',
      'uts',
      'ipc',
      'user',
      'pid',
      'net',
      'cgroup',
    ]);
  });

  it('every verdict comes with a sentence, and broken rules are named', () => {
    const report = explain('CLONE_THREAD|CLONE_VM');
    for (const key of [...RESOURCES, ...NAMESPACES])
      expect(report.sentences[key]).toEqual(expect.any(String));
    expect(report.brokenRules).toEqual(['CLONE_THREAD was specified, but CLONE_SIGHAND was not']);
  });

  it('probe refuses what would be unsafe or break a rule, with coded errors', () => {
    expect(() => probe('CLONE_PARENT')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS' }),
    );
    expect(() => probe('CLONE_THREAD|CLONE_VM')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS' }),
    );
    expect(() => probe('CLONE_NEWNETT')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_CLONE_FLAG' }),
    );
  });

  it('concurrent probes run one at a time and all agree', async () => {
    const flags = [
      'CLONE_FS|SIGCHLD',
      'CLONE_FILES|SIGCHLD',
      'CLONE_VM|CLONE_SIGHAND|SIGCHLD',
      'SIGCHLD',
    ];
    const reports = await Promise.all(flags.map((f) => probe(f)));
    reports.forEach((r, i) => expect(verdicts(r)).toEqual(verdicts(explain(flags[i]))));
  });
});

describe('linux-clone explain and probe', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  it('explain with no SPEC shows the scale side by side, plain when piped', () => {
    const { stdout, status } = cli(['explain']);
    expect(status).toBe(0);
    expect(stdout.split('\n')[0].trim().split(/\s+/)).toEqual([
      'thread',
      'vfork',
      'process',
      'container',
    ]);
    expect(stdout).toMatch(/^ {2}memory +shared +shared +copied +copied$/m);
    expect(stdout).not.toContain('\u001b[');
  });

  itIf(hasCommand('script'), 'script (util-linux)')(
    'colours the verdicts on a terminal, and NO_COLOR turns it off',
    () => {
      const onTty = (env: NodeJS.ProcessEnv) =>
        spawnSync('script', ['-qec', `${process.execPath} ${CLI} explain CLONE_VM`, '/dev/null'], {
          encoding: 'utf8',
          env,
        }).stdout;
      expect(onTty(process.env)).toContain('\u001b[32mshared');
      expect(onTty({ ...process.env, NO_COLOR: '1' })).not.toContain('\u001b[');
    },
  );

  it('probe SPEC prints a table whose verdicts match explain SPEC', () => {
    const verdictLines = (text: string) =>
      text
        .split('\n')
        .slice(1, 16)
        .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '));
    const explained = cli(['explain', 'CLONE_VM|CLONE_FILES|SIGCHLD']).stdout;
    const probed = cli(['probe', 'CLONE_VM|CLONE_FILES|SIGCHLD']).stdout;
    expect(verdictLines(probed)).toEqual(verdictLines(explained));
    expect(probed.split('\n')[0]).toBe('CLONE_VM|CLONE_FILES|SIGCHLD');
  });

  it('--json gives the report; presets are accepted by name', () => {
    const report = JSON.parse(cli(['probe', '--json', 'thread']).stdout) as SharingReport;
    expect(report).toMatchObject({ memory: 'shared', threadGroup: 'shared', pid: 'shared' });
    const scale = JSON.parse(cli(['explain', '--json']).stdout) as SharingReport[];
    expect(scale.map((r) => r.flags)).toEqual(
      [presets.thread, presets.vfork, presets.process, presets.container].map(String),
    );
  });

  it('refusals exit non-zero with a message, usage errors exit 2, --help documents both', () => {
    expect(cli(['probe', 'CLONE_PARENT'])).toMatchObject({
      status: 125,
      stderr: expect.stringMatching(/CLONE_PARENT/),
    });
    expect(cli(['explain', 'a', 'b']).status).toBe(2);
    expect(cli(['explain', '--help']).stdout).toContain('Usage: linux-clone explain');
    expect(cli(['probe', '--help']).stdout).toContain('Usage: linux-clone probe');
  });
});
