// Containers, proven from inside: each scenario is a script that spawns a
// container with the library and reports what it saw, inside and out. Every
// scenario runs twice: as root, and rootless (uid 65534, privileges dropped
// by setpriv), each in a cgroup v2 subtree delegated to that user, as
// systemd delegates one to a user session.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  DIST,
  isRoot,
  openFdCount,
  sleep,
  itWith,
  unprivilegedRuntime,
  zombieChildren,
  ZOMBIES_SOURCE,
} from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(DIST) as typeof import('../lib/index');

const NOBODY = 65534;
const CONTAINER = 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET';
const cgroupMount = (() => {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
  return line?.split(' ')[4];
})();
const ownCgroup = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1];
/** The v2 controllers a cgroup under the delegated one could use. */
const v2Controllers = cgroupMount
  ? readFileSync(join(cgroupMount, ownCgroup ?? '/', 'cgroup.controllers'), 'utf8')
      .split(/\s+/)
      .filter(Boolean)
  : [];

let delegated = '';
let workDir = '';
let runners = 0;

beforeAll(() => {
  if (!isRoot || cgroupMount === undefined || ownCgroup === undefined) {
    throw new Error(
      'the container tests need root (to drop privileges with setpriv) and a cgroup v2 hierarchy',
    );
  }
  delegated = join(ownCgroup, `linux-clone-test-${process.pid}`);
  const dir = join(cgroupMount, delegated);
  mkdirSync(dir);
  // Delegation as systemd does it: the directory and its process files.
  for (const path of [
    dir,
    join(dir, 'cgroup.procs'),
    join(dir, 'cgroup.threads'),
    join(dir, 'cgroup.subtree_control'),
  ])
    chownSync(path, NOBODY, NOBODY);
  workDir = mkdtempSync(join(tmpdir(), 'linux-clone-container-'));
  // Searchable by all: root in a user namespace has no override on a
  // directory whose owner its maps do not name.
  chmodSync(workDir, 0o755);
  chownSync(workDir, NOBODY, NOBODY);
});

afterAll(() => {
  if (cgroupMount !== undefined && delegated !== '') rmdirSync(join(cgroupMount, delegated));
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

type Who = 'root' | 'rootless';
type Observations = Record<string, unknown> & {
  error?: { code: string; message: string; syscall?: string; controller?: string };
};

/**
 * Runs `body` (an async function body with `lib`, `cgroupBase` and `work` in
 * scope, returning observations) in a node process as `who`, inside a fresh
 * cgroup of the delegated subtree.
 */
async function scenario(who: Who, body: string): Promise<Observations> {
  // Rootless, the library and Node are copies uid 65534 can reach wherever the checkout is.
  const { dist, node, cwd } =
    who === 'rootless'
      ? unprivilegedRuntime()
      : { dist: DIST, node: process.execPath, cwd: process.cwd() };
  const script = `
const lib = require(${JSON.stringify(dist)});
const cgroupBase = ${JSON.stringify(delegated)};
const work = ${JSON.stringify(workDir)};
const { spawn: cpSpawn } = require('node:child_process');
const fs = require('node:fs');
${ZOMBIES_SOURCE}
(async () => { ${body} })().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e) => process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message, syscall: e.syscall, controller: e.controller } })),
);`;
  const drop =
    who === 'rootless'
      ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups']
      : [];
  const argv = [...drop, node, '-e', script];
  const result = await lib.run(argv[0], argv.slice(1), {
    cwd,
    cgroup: { path: join(delegated, `runner-${++runners}`) },
    timeout: 60000,
    killSignal: 'SIGKILL',
  });
  if (result.exitCode !== 0)
    throw new Error(
      `scenario failed (${result.exitCode ?? result.signal}):\n${String(result.stderr)}`,
    );
  return JSON.parse(String(result.stdout)) as Observations;
}

describe.each<Who>(['root', 'rootless'])('a container, as %s', (who) => {
  // Rootless, each scenario drops to uid 65534 through setpriv.
  const it = who === 'rootless' ? itWith('setpriv') : global.it;
  it('runs the program as pid 1 of its PID namespace, and /proc lists only its own', async () => {
    const seen = await scenario(
      who,
      `const r = await lib.run('/bin/sh', ['-c', 'echo $$; for p in /proc/[0-9]*; do echo "\${p#/proc/}"; done'],
         { flags: ${JSON.stringify(CONTAINER)}, mapRootUser: true, mountProc: true });
       return { stdout: r.stdout, flags: r.flags };`,
    );
    expect(seen.error).toBeUndefined();
    expect(String(seen.stdout).trim().split('\n')).toEqual(['1', '1']);
    expect(seen.flags).toContain('CLONE_NEWPID');
    // The user namespace's maps are written by the parent while the child waits: no vfork.
    expect(seen.flags).not.toContain('CLONE_VFORK');
  });

  it('gives a new network namespace only lo, and lo is up (a TCP round trip over 127.0.0.1)', async () => {
    const seen = await scenario(
      who,
      `const probe = "const net = require('net'); const s = net.createServer((c) => c.end('pong')).listen(0, '127.0.0.1', () => {" +
         "net.connect(s.address().port, '127.0.0.1').on('data', (d) => { console.log(JSON.stringify({ ifaces: Object.keys(require('os').networkInterfaces()), reply: String(d) })); process.exit(0); }); });";
       const r = await lib.run(process.execPath, ['-e', probe], { flags: 'CLONE_NEWUSER|CLONE_NEWNET', mapRootUser: true });
       const devices = await lib.run('/bin/sh', ['-c', "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"], { flags: 'CLONE_NEWUSER|CLONE_NEWNET', mapRootUser: true });
       return { inside: JSON.parse(r.stdout), devices: devices.stdout, stderr: r.stderr };`,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.devices).toBe('lo\n');
    expect(seen.inside).toEqual({ ifaces: ['lo'], reply: 'pong' });
  });

  it('changes the hostname and domain name inside and not outside', async () => {
    const seen = await scenario(
      who,
      `const r = await lib.run('/bin/sh', ['-c', 'hostname; domainname'], { flags: 'CLONE_NEWUSER|CLONE_NEWUTS', mapRootUser: true, hostname: 'box-inside', domainname: 'lab.test' });
       return { inside: r.stdout, outside: require('os').hostname() };`,
    );
    expect(seen.inside).toBe('box-inside\nlab.test\n');
    expect(seen.outside).toBe(hostname());
  });

  it('keeps a mount made inside out of the host’s mountinfo, and / private', async () => {
    const seen = await scenario(
      who,
      `const target = fs.mkdtempSync(work + '/mnt-');
       const child = lib.spawn('/bin/sh', ['-c', 'grep -c " ' + target + ' " /proc/self/mountinfo; grep " / / " /proc/self/mountinfo | grep -c shared; read line'],
         { flags: 'CLONE_NEWUSER|CLONE_NEWNS', mapRootUser: true, mounts: [{ type: 'tmpfs', target, size: 1 << 20 }] });
       let out = '';
       child.stdout.on('data', (d) => (out += d));
       while (out.split('\\n').length < 3) await new Promise((r) => setTimeout(r, 5));
       const hostSees = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' ' + target + ' ');
       child.stdin.end('done\\n');
       await child.wait();
       return { inside: out, hostSees };`,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.inside).toBe('1\n0\n');
    expect(seen.hostSees).toBe(false);
  });

  it('maps uid 0 inside to the real uid outside', async () => {
    const seen = await scenario(
      who,
      `const child = lib.spawn('/bin/sh', ['-c', 'id -u; id -g; cat /proc/self/setgroups; read line'], { flags: 'CLONE_NEWUSER', mapRootUser: true });
       let out = '';
       child.stdout.on('data', (d) => (out += d));
       while (out.split('\\n').length < 4) await new Promise((r) => setTimeout(r, 5));
       const status = fs.readFileSync('/proc/' + child.pid + '/status', 'utf8');
       child.stdin.end('done\\n');
       await child.wait();
       return { inside: out, outsideUid: Number(/^Uid:\\s+(\\d+)/m.exec(status)[1]), realUid: process.getuid() };`,
    );
    const real = who === 'root' ? 0 : NOBODY;
    expect(seen.realUid).toBe(real);
    expect(seen.outsideUid).toBe(real);
    // Without root the kernel requires setgroups "deny" before gid_map.
    expect(seen.inside).toBe(`0\n0\n${who === 'root' ? 'allow' : 'deny'}\n`);
  });

  it('cannot signal a host process from inside', async () => {
    const seen = await scenario(
      who,
      `const host = cpSpawn('/bin/sleep', ['30'], { stdio: 'ignore' });
       const r = await lib.run('/bin/sh', ['-c', 'kill -TERM ' + host.pid], { flags: ${JSON.stringify(CONTAINER)}, mapRootUser: true });
       await new Promise((r) => setTimeout(r, 50));
       const alive = host.exitCode === null && host.signalCode === null;
       host.kill('SIGKILL');
       return { exitCode: r.exitCode, stderr: r.stderr, alive };`,
    );
    expect(seen.exitCode).not.toBe(0);
    expect(seen.stderr).toMatch(/No such process/);
    expect(seen.alive).toBe(true);
  });

  it('starts the child in the cgroup it asked for, and removes the cgroup after the reap', async () => {
    const seen = await scenario(
      who,
      `const path = cgroupBase + '/box';
       // Builtins only: a grep of its own could still be listed in cgroup.procs
       // when its output arrives (seen under the sanitizer run, whose runtime slows its exit).
       const child = lib.spawn('/bin/sh', ['-c', 'while read -r l; do case "$l" in 0::*) echo "$l";; esac; done </proc/self/cgroup; read line'], { cgroup: { path } });
       let out = '';
       child.stdout.on('data', (d) => (out += d));
       while (!out.includes('\\n')) await new Promise((r) => setTimeout(r, 5));
       const procs = fs.readFileSync(child.cgroup + '/cgroup.procs', 'utf8').trim().split('\\n').map(Number);
       child.stdin.end('done\\n');
       await child.wait();
       return { inside: out, procs, pid: child.pid, flags: String(child.flags), dir: child.cgroup, existsAfter: fs.existsSync(child.cgroup), path };`,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.inside).toBe(`0::${String(seen.path)}\n`);
    expect(seen.procs).toEqual([seen.pid]);
    expect(seen.flags).toContain('CLONE_INTO_CGROUP');
    expect(seen.existsAfter).toBe(false);
  });

  const memory = v2Controllers.includes('memory');
  it(
    memory
      ? 'enforces memory.max: the child is OOM-killed, reported as SIGKILL'
      : 'refuses memoryMax with ERR_CGROUP_CONTROLLER_MISSING naming "memory" (the v2 hierarchy lacks the memory controller, so enforcement is not testable here)',
    async () => {
      const seen = await scenario(
        who,
        `const r = await lib.run('/bin/sh', ['-c', 'x=$(head -c 268435456 /dev/zero | tr "\\\\0" a); echo survived'],
           { cgroup: { path: cgroupBase + '/mem', memoryMax: 16 * 1024 * 1024 } });
         return { signal: r.signal, stdout: r.stdout };`,
      );
      if (memory) {
        expect(seen.signal).toBe('SIGKILL');
      } else {
        expect(seen.error).toMatchObject({
          code: 'ERR_CGROUP_CONTROLLER_MISSING',
          controller: 'memory',
        });
        expect(seen.error!.message).toMatch(/"memory" controller/);
      }
    },
  );

  const pids = v2Controllers.includes('pids');
  it(
    pids
      ? 'enforces pids.max: a fork loop is contained'
      : 'refuses pidsMax with ERR_CGROUP_CONTROLLER_MISSING naming "pids" (the v2 hierarchy lacks the pids controller, so enforcement is not testable here)',
    async () => {
      const seen = await scenario(
        who,
        `const r = await lib.run('/bin/sh', ['-c', 'n=0; for i in $(seq 50); do sleep 2 & n=$((n+1)); done; cat /sys/fs/cgroup/pids.current 2>/dev/null; wait'],
           { cgroup: { path: cgroupBase + '/pids', pidsMax: 8 } });
         return { stderr: r.stderr };`,
      );
      if (pids) {
        expect(seen.stderr).toMatch(/fork|Resource temporarily unavailable/);
      } else {
        expect(seen.error).toMatchObject({
          code: 'ERR_CGROUP_CONTROLLER_MISSING',
          controller: 'pids',
        });
      }
    },
  );

  it('sets no_new_privs, visible in /proc/self/status', async () => {
    const seen = await scenario(
      who,
      `const r = await lib.run('/bin/grep', ['NoNewPrivs', '/proc/self/status'], { noNewPrivs: true }); return { out: r.stdout };`,
    );
    expect(seen.out).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it('makes a denied syscall fail with EPERM', async () => {
    const seen = await scenario(
      who,
      `const dir = work + '/denied-' + process.getuid();
       const r = await lib.run('/bin/mkdir', [dir], { seccomp: { deny: ['mkdir', 'mkdirat'] } });
       const ok = await lib.run('/bin/sh', ['-c', 'echo still works']);
       return { exitCode: r.exitCode, stderr: r.stderr, exists: fs.existsSync(dir), ok: ok.stdout };`,
    );
    expect(seen.exitCode).toBe(1);
    expect(seen.stderr).toMatch(/Operation not permitted/);
    expect(seen.exists).toBe(false);
    expect(seen.ok).toBe('still works\n');
  });

  it('offsets CLOCK_BOOTTIME and CLOCK_MONOTONIC in a new time namespace', async () => {
    const seen = await scenario(
      who,
      `const day = 86400;
       const r = await lib.run('/bin/cat', ['/proc/uptime'], { flags: 'CLONE_NEWUSER|CLONE_NEWTIME', mapRootUser: true, timeOffsets: { boottime: day, monotonic: day / 2 } });
       const probe = 'console.log(String(process.hrtime.bigint() / 1000000000n))';
       const mono = await lib.run(process.execPath, ['-e', probe], { flags: 'CLONE_NEWUSER', mapRootUser: true, timeOffsets: { monotonic: day } });
       return { inside: Number(r.stdout.split(' ')[0]), outside: Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]),
                monoInside: Number(mono.stdout), monoOutside: Number(process.hrtime.bigint() / 1000000000n), flags: r.flags };`,
    );
    expect(seen.error).toBeUndefined();
    expect(Math.abs((seen.inside as number) - (seen.outside as number) - 86400)).toBeLessThan(5);
    expect(
      Math.abs((seen.monoInside as number) - (seen.monoOutside as number) - 86400),
    ).toBeLessThan(5);
    // The child unshared the time namespace itself, so the offsets could still be written.
    expect(seen.flags).not.toContain('CLONE_NEWTIME');
  });

  it('pivots into a rootfs with read-only and read-write binds and a tmpfs, the old root detached', async () => {
    const seen = await scenario(
      who,
      `const root = fs.mkdtempSync(work + '/rootfs-');
       for (const d of ['usr', 'proc', 'data', 'tmp', 'etc']) fs.mkdirSync(root + '/' + d);
       for (const l of ['bin', 'lib', 'lib64', 'sbin']) fs.symlinkSync('usr/' + l, root + '/' + l);
       const shared = fs.mkdtempSync(work + '/shared-');
       const r = await lib.run('/bin/sh', ['-c', 'ls /; echo hi > /data/out; touch /usr/nope 2>&1; echo t > /tmp/t && cat /tmp/t; grep -c . /proc/self/mountinfo'], {
         flags: ${JSON.stringify(CONTAINER)}, mapRootUser: true, mountProc: true, rootfs: root,
         mounts: [{ type: 'bind', source: '/usr', target: '/usr', readonly: true }, { type: 'bind', source: shared, target: '/data' }, { type: 'tmpfs', target: '/tmp' }],
         env: { PATH: '/usr/bin:/bin' } });
       return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, written: fs.readFileSync(shared + '/out', 'utf8') };`,
    );
    expect(seen.error).toBeUndefined();
    const lines = String(seen.stdout).split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'bin',
      'data',
      'etc',
      'lib',
      'lib64',
      'proc',
      'sbin',
      'tmp',
      'usr',
    ]);
    expect(seen.stdout).toMatch(/Read-only file system/);
    expect(seen.stdout).toMatch(/^t$/m);
    // The root, /usr, /data, /tmp and /proc: the host's mounts are gone with the old root.
    expect(Number(lines[lines.length - 2])).toBe(5);
    expect(seen.written).toBe('hi\n');
  });

  it('sets rlimits before exec', async () => {
    const seen = await scenario(
      who,
      `const r = await lib.run('/bin/sh', ['-c', 'ulimit -n; ulimit -Hn; ulimit -c'], { rlimits: { nofile: { soft: 64, hard: 128 }, core: 0 } }); return { out: r.stdout };`,
    );
    expect(seen.out).toBe('64\n128\n0\n');
  });

  it('enters the namespaces of a running child, PID namespace included, like nsenter', async () => {
    const seen = await scenario(
      who,
      `const box = lib.spawn('/bin/sleep', ['30'], { flags: ${JSON.stringify(CONTAINER)}, mapRootUser: true, hostname: 'boxed', mountProc: true, stdio: 'ignore' });
       const script = 'hostname; echo $$; for p in /proc/[0-9]*; do echo "\${p#/proc/}"; done | sort -n | tr "\\\\n" " "; echo; id -u';
       const inside = await lib.run('/bin/sh', ['-c', script], { enter: { target: box, namespaces: ['user', 'pid', 'mnt', 'uts', 'net'] } });
       const byPid = await lib.run('/bin/hostname', { enter: { target: box.pid, namespaces: ['user', 'uts'] } });
       const killed = lib.spawn('/bin/sleep', ['30'], { enter: { target: box, namespaces: ['user', 'pid'] } });
       killed.kill('SIGKILL');
       const killedExit = await killed.wait();
       box.kill('SIGKILL');
       await box.wait();
       let afterExit;
       try { lib.spawn('/bin/true', { enter: { target: box, namespaces: ['uts'] } }); } catch (e) { afterExit = e.code; }
       return { inside: inside.stdout, byPid: byPid.stdout, killed: killedExit.signal, afterExit };`,
    );
    expect(seen.error).toBeUndefined();
    const [host, pid, procs, uid] = String(seen.inside).split('\n');
    expect(host).toBe('boxed');
    expect(Number(pid)).toBeGreaterThan(1); // pid 1 is the sleep
    expect(procs.trim().split(' ')[0]).toBe('1');
    expect(uid).toBe('0');
    expect(seen.byPid).toBe('boxed\n');
    expect(seen.killed).toBe('SIGKILL');
    expect(seen.afterExit).toBe('ESRCH');
  });
});

describe('container options refused with coded errors, before anything is cloned', () => {
  const cases: Array<[string, Record<string, unknown>, string | RegExp]> = [
    [
      'mountProc without a PID namespace',
      { flags: 'CLONE_NEWNS', mountProc: true },
      'ERR_NAMESPACE_REQUIRED',
    ],
    ['hostname without a UTS namespace', { hostname: 'x' }, 'ERR_NAMESPACE_REQUIRED'],
    [
      'uidMap without a user namespace',
      { uidMap: [{ containerId: 0, hostId: 0, size: 1 }] },
      'ERR_NAMESPACE_REQUIRED',
    ],
    ['rootfs without a mount namespace', { rootfs: '/' }, 'ERR_NAMESPACE_REQUIRED'],
    [
      'a uidMap line of the wrong shape',
      { flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: -1, size: 1 }] },
      'ERR_OUT_OF_RANGE',
    ],
    [
      'mapRootUser with a uidMap',
      { flags: 'CLONE_NEWUSER', mapRootUser: true, uidMap: [] },
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    ],
    [
      'fastPath with id maps',
      { flags: 'CLONE_NEWUSER', mapRootUser: true, fastPath: true },
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    ],
    [
      'enter with a new namespace',
      { flags: 'CLONE_NEWNET', enter: { target: 1, namespaces: ['net'] } },
      'ERR_INCOMPATIBLE_OPTION_PAIR',
    ],
    [
      'enter with an unknown namespace',
      { enter: { target: 1, namespaces: ['network'] } },
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'an unknown syscall in seccomp.deny',
      { seccomp: { deny: ['mkdri'] } },
      'ERR_INVALID_ARG_VALUE',
    ],
    ['an unknown rlimit', { rlimits: { nofiles: 10 } }, 'ERR_INVALID_ARG_VALUE'],
    [
      'a soft rlimit above the hard one',
      { rlimits: { nofile: { soft: 10, hard: 5 } } },
      'ERR_OUT_OF_RANGE',
    ],
    [
      'a relative mount target',
      { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: 'tmp' }] },
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'an unknown mount type',
      { flags: 'CLONE_NEWNS', mounts: [{ type: 'overlay', target: '/tmp' }] },
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'a missing bind source',
      { flags: 'CLONE_NEWNS', mounts: [{ type: 'bind', source: '/no/such/dir', target: '/tmp' }] },
      'ENOENT',
    ],
    [
      'a missing mount target',
      { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/no/such/dir' }] },
      'ENOENT',
    ],
    [
      'a hostname over 64 bytes',
      { flags: 'CLONE_NEWUTS', hostname: 'x'.repeat(65) },
      'ERR_OUT_OF_RANGE',
    ],
    ['a cgroup path with ..', { cgroup: { path: '../escape' } }, 'ERR_INVALID_ARG_VALUE'],
    ['an unknown cgroup option', { cgroup: { memory: 1 } }, 'ERR_INVALID_ARG_VALUE'],
    ['timeOffsets for another clock', { timeOffsets: { realtime: 1 } }, 'ERR_INVALID_ARG_VALUE'],
    ['CLONE_INTO_CGROUP as a raw flag', { flags: 'CLONE_INTO_CGROUP' }, 'ERR_INVALID_CLONE_FLAGS'],
    [
      'setgroups neither allow nor deny',
      { flags: 'CLONE_NEWUSER', setgroups: 'maybe' },
      'ERR_INVALID_ARG_VALUE',
    ],
    ['noNewPrivs not a boolean', { noNewPrivs: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [
      'mountProc not a boolean',
      { flags: 'CLONE_NEWPID|CLONE_NEWNS', mountProc: 1 },
      'ERR_INVALID_ARG_TYPE',
    ],
    ['domainname without a UTS namespace', { domainname: 'lab' }, 'ERR_NAMESPACE_REQUIRED'],
    ['a cpuMax quota below 1 ms', { cgroup: { cpuMax: { quota: 10 } } }, 'ERR_OUT_OF_RANGE'],
    ['a memoryMax that is not a number', { cgroup: { memoryMax: '1G' } }, 'ERR_INVALID_ARG_TYPE'],
    [
      'a time offset that is not finite',
      { timeOffsets: { monotonic: NaN } },
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'an enter target that is neither a PID nor a Child',
      { enter: { target: 'init', namespaces: ['uts'] } },
      'ERR_INVALID_ARG_TYPE',
    ],
    ['an rlimit below zero', { rlimits: { nofile: -1 } }, 'ERR_OUT_OF_RANGE'],
    ['seccomp.deny not an array', { seccomp: { deny: 'ptrace' } }, 'ERR_INVALID_ARG_TYPE'],
    [
      'a tmpfs smaller than a page',
      { flags: 'CLONE_NEWNS', mounts: [{ type: 'tmpfs', target: '/tmp', size: 1 }] },
      'ERR_OUT_OF_RANGE',
    ],
  ];

  it.each(cases)('%s', (_name, options, code) => {
    const fdsBefore = openFdCount();
    let caught: (Error & { code?: string }) | undefined;
    try {
      lib.spawn('/bin/true', options);
    } catch (error) {
      caught = error as Error & { code?: string };
    }
    expect(caught?.code).toBe(code);
    expect(openFdCount()).toBe(fdsBefore);
    expect(zombieChildren()).toEqual([]);
  });

  it('a rootfs that is not a directory: ENOTDIR from pivot_root, with a hint', () => {
    const file = join(workDir, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => lib.spawn('/bin/true', { flags: 'CLONE_NEWNS', rootfs: file })).toThrow(
      expect.objectContaining({
        code: 'ENOTDIR',
        syscall: 'pivot_root',
        path: file,
        hint: 'rootfs must be a directory',
      }),
    );
  });

  itWith('setpriv')(
    'new namespaces without CLONE_NEWUSER, unprivileged: EPERM with a hint to add it',
    async () => {
      const seen = await scenario(
        'rootless',
        `lib.spawn('/bin/true', { flags: 'CLONE_NEWNET' }); return {};`,
      );
      expect(seen.error).toMatchObject({ code: 'EPERM', syscall: 'clone3' });
      expect(seen.error!.message).toMatch(/add CLONE_NEWUSER/);
    },
  );

  itWith('setpriv')(
    'a uid map an unprivileged process may not write: EPERM naming the file, the child killed and reaped',
    async () => {
      const seen = await scenario(
        'rootless',
        `try { lib.spawn('/bin/true', { flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: 0, size: 1 }] }); }
       catch (e) { return { code: e.code, syscall: e.syscall, path: e.path, hint: e.hint, zombies: zombies() }; }`,
      );
      expect(seen).toMatchObject({
        code: 'EPERM',
        syscall: 'write',
        hint: expect.stringMatching(/only its own uid/),
      });
      expect(seen.path).toMatch(/^\/proc\/\d+\/uid_map$/);
      expect(seen.zombies).toBe(0);
    },
  );

  it('a cgroup limit whose controller is missing leaves no cgroup behind', () => {
    const missing = ['memory', 'pids', 'cpu'].find((c) => !v2Controllers.includes(c));
    const options = {
      memory: { memoryMax: 1 << 30 },
      pids: { pidsMax: 100 },
      cpu: { cpuMax: { quota: 50000 } },
    };
    const path = join(delegated, 'missing');
    if (missing === undefined) {
      // Every controller is there: the limits are applied instead.
      const child = lib.spawn('/bin/true', {
        cgroup: { path, ...options.memory, ...options.pids, ...options.cpu },
      });
      expect(child.cgroup).toBe(join(cgroupMount!, path));
      child.waitSync();
      return;
    }
    expect(() =>
      lib.spawn('/bin/true', { cgroup: { path, ...options[missing as keyof typeof options] } }),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_CGROUP_CONTROLLER_MISSING', controller: missing }),
    );
    expect(existsSync(join(cgroupMount!, path))).toBe(false);
  });
});

describe('container resources', () => {
  it('leave no fd, zombie or cgroup behind after many containers', async () => {
    await sleep(50); // streams of earlier tests finish closing
    const fdsBefore = openFdCount();
    for (let i = 0; i < 20; i++) {
      const r = await lib.run('/bin/true', {
        flags: CONTAINER,
        mapRootUser: true,
        mountProc: true,
        hostname: 'x',
        cgroup: { path: join(delegated, `leak-${i}`) },
        timeOffsets: { monotonic: 1 },
        seccomp: { deny: ['ptrace'] },
      });
      expect(r.exitCode).toBe(0);
    }
    await sleep(50);
    expect(openFdCount()).toBe(fdsBefore);
    expect(zombieChildren()).toEqual([]);
    expect(readFileSync(join(cgroupMount!, delegated, 'cgroup.procs'), 'utf8')).toBe('');
    for (let i = 0; i < 20; i++)
      expect(existsSync(join(cgroupMount!, delegated, `leak-${i}`))).toBe(false);
  });

  it('a child that fails before exec in its new cgroup takes the cgroup with it', () => {
    const path = join(delegated, 'failed');
    expect(() => lib.spawn('/no/such/program', { cgroup: { path } })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(() => lib.spawn('/bin/true', { cgroup: { path }, cwd: '/no/such/dir' })).toThrow(
      expect.objectContaining({ syscall: 'chdir' }),
    );
    expect(existsSync(join(cgroupMount!, path))).toBe(false);
  });
});
