// What the kernel saw: strace's decoding of our clone3 calls, and the clone
// fallback under a seccomp filter that refuses clone3.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { constants } from 'node:os';

import { CloneFlags } from '../lib';
import { compileC, DIST, hasCommand, itIf, traceSyscalls } from './helpers';

const FLAG_SETS = [
  '',
  'CLONE_NEWUTS',
  'CLONE_NEWPID|CLONE_NEWNS',
  'CLONE_NEWIPC|CLONE_NEWNET',
  'CLONE_NEWCGROUP|CLONE_IO',
  'CLONE_SYSVSEM|CLONE_UNTRACED',
  'CLONE_NEWUSER',
  'CLONE_CLEAR_SIGHAND',
  'CLONE_NEWTIME',
  'SIGUSR1',
];

/** Flag sets strace decoded for clone3/clone calls that asked for a pidfd (Node's own threads never do). */
function decodedSpawns(log: string): string[] {
  const sets: string[] = [];
  for (const line of log.split('\n')) {
    const clone3 = /clone3\(\{flags=([^,]+),.*?exit_signal=(\w+)/.exec(line);
    const clone = /clone\(child_stack=[^,]+, flags=([^,)]+)/.exec(line);
    const flags = clone3
      ? clone3[2] === '0'
        ? clone3[1]
        : `${clone3[1]}|${clone3[2]}`
      : clone?.[1];
    if (flags?.includes('CLONE_PIDFD')) sets.push(String(CloneFlags.parse(flags)));
  }
  return sets;
}

const spawnScript = (sets: string[], options = '') => `
  const lib = require(${JSON.stringify(DIST)});
  process.on('SIGUSR1', () => {});
  (async () => {
    for (const flags of ${JSON.stringify(sets)}) {
      const child = lib.spawn('/bin/true', [], { flags: flags || undefined, stdio: 'ignore' ${options} });
      await child.wait();
      console.log(String(child.flags) + ' ' + child.syscall);
    }
  })();`;

describe('fidelity: what we say we passed is what the kernel saw', () => {
  itIf(hasCommand('strace'), 'strace')(
    'strace decodes String(child.flags) for every flag set',
    () => {
      const { result, trace } = traceSyscalls('clone,clone3', [
        process.execPath,
        '-e',
        spawnScript(FLAG_SETS),
      ]);
      expect(result.stderr).toBe('');
      const reported = result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[0]);
      expect(reported).toHaveLength(FLAG_SETS.length);
      expect(decodedSpawns(trace)).toEqual(reported);
    },
  );

  itIf(hasCommand('strace'), 'strace')(
    'and for every namespace combination, container setups and clone() tasks',
    () => {
      const namespaces = [
        'CLONE_NEWNS',
        'CLONE_NEWUTS',
        'CLONE_NEWIPC',
        'CLONE_NEWPID',
        'CLONE_NEWNET',
        'CLONE_NEWCGROUP',
        'CLONE_NEWUSER',
        'CLONE_NEWTIME',
      ];
      // Every single namespace and every pair, fast path on and off.
      const calls: Array<{
        kind: 'spawn' | 'clone';
        flags: string;
        options: Record<string, unknown>;
      }> = [];
      for (let i = 0; i < namespaces.length; i++) {
        for (let j = i; j < namespaces.length; j++) {
          const flags = i === j ? namespaces[i] : `${namespaces[i]}|${namespaces[j]}`;
          calls.push({ kind: 'spawn', flags, options: { fastPath: (i + j) % 2 === 0 } });
        }
      }
      // Container setups, whose flags spawn changes (no vfork, NEWTIME taken out, INTO_CGROUP added).
      calls.push({
        kind: 'spawn',
        flags: 'CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS',
        options: { mapRootUser: true, mountProc: true },
      });
      calls.push({
        kind: 'spawn',
        flags: 'CLONE_NEWUSER|CLONE_NEWTIME',
        options: { mapRootUser: true, timeOffsets: { monotonic: 5 } },
      });
      calls.push({
        kind: 'spawn',
        flags: 'CLONE_NEWUTS',
        options: { hostname: 'traced', cgroup: {} },
      });
      calls.push({
        kind: 'spawn',
        flags: '',
        options: { seccomp: { deny: ['ptrace'] }, rlimits: { core: 0 } },
      });
      // Process tasks (threads carry no pidfd, so they cannot be told from Node's own).
      for (const flags of [
        'CLONE_VM',
        'CLONE_VM|CLONE_VFORK',
        'CLONE_FILES|CLONE_FS',
        'CLONE_NEWPID|CLONE_NEWNS',
        'CLONE_SYSVSEM|CLONE_IO',
        'CLONE_VM|CLONE_SIGHAND',
      ]) {
        calls.push({ kind: 'clone', flags: `${flags}|SIGCHLD`, options: {} });
      }
      const script = `
      const lib = require(${JSON.stringify(DIST)});
      (async () => {
        for (const { kind, flags, options } of ${JSON.stringify(calls)}) {
          const child = kind === 'spawn'
            ? lib.spawn('/bin/true', [], { flags: flags || undefined, stdio: 'ignore', ...options })
            : lib.clone(lib.tasks.exit(0), { flags });
          await child.wait();
          console.log(String(child.flags));
        }
      })();`;
      const { result, trace } = traceSyscalls('clone,clone3', [process.execPath, '-e', script]);
      expect(result.stderr).toBe('');
      const reported = result.stdout.trim().split('\n');
      expect(reported).toHaveLength(calls.length);
      expect(calls.length).toBeGreaterThan(45);
      expect(decodedSpawns(trace)).toEqual(reported);
    },
  );
});

/** Runs argv under a seccomp filter that makes syscall `nr` fail with `errno`, as older kernels or container runtimes would. */
let denySyscall: (nr: number, errno: number, argv: string[]) => SpawnSyncReturns<string>;
let denyBin: string;

beforeAll(() => {
  const bin = compileC(
    'deny-syscall',
    `#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  unsigned nr = (unsigned)atoi(argv[1]), err = (unsigned)atoi(argv[2]);
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) { perror("seccomp"); return 1; }
  execvp(argv[3], argv + 3);
  perror("execvp");
  return 127;
}`,
  );
  denyBin = bin;
  denySyscall = (nr, errno, argv) =>
    spawnSync(bin, [String(nr), String(errno), ...argv], { encoding: 'utf8' });
});

const SYS_CLONE3 = 435;
const SYS_PIDFD_OPEN = 434;
const { ENOSYS, EINVAL } = constants.errno;

describe('clone fallback when clone3 answers ENOSYS', () => {
  const seccompRun = (argv: string[]) => denySyscall(SYS_CLONE3, ENOSYS, argv);

  it('spawns through clone with the same flags, and says so', () => {
    const sets = ['', 'CLONE_NEWUTS|CLONE_NEWPID', 'SIGUSR1'];
    const result = seccompRun([process.execPath, '-e', spawnScript(sets)]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGCHLD clone',
      'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_NEWUTS|CLONE_NEWPID|SIGCHLD clone',
      'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|SIGUSR1 clone',
    ]);
  });

  itIf(hasCommand('strace'), 'strace')('strace sees the legacy clone with our flags', () => {
    const argv = [
      denyBin,
      String(SYS_CLONE3),
      String(ENOSYS),
      process.execPath,
      '-e',
      spawnScript(['CLONE_NEWUTS']),
    ];
    const { result, trace } = traceSyscalls('clone,clone3', argv);
    expect(result.stderr).toBe('');
    expect(trace).toMatch(/clone3\(.*CLONE_PIDFD.*= -1 ENOSYS/);
    expect(decodedSpawns(trace).at(-1)).toBe(
      'CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_NEWUTS|SIGCHLD',
    );
  });

  // Issue 14, item 18: clone returns a pidfd and a parent TID through one
  // argument, so with both asked the child is cloned without CLONE_PIDFD and
  // its pidfd opened afterwards; Child.flags says so.
  it('makes a child with CLONE_PARENT_SETTID, its pidfd opened after the clone', () => {
    const script = `
      const lib = require(${JSON.stringify(DIST)});
      (async () => {
        for (const fastPath of [true, false]) {
          const child = lib.spawn('sh', ['-c', 'exit 7'], { flags: 'CLONE_PARENT_SETTID', fastPath, stdio: 'ignore' });
          const pidfd = typeof child.pidfd;
          const exit = await child.wait();
          console.log(String(child.flags), child.syscall, pidfd, exit.exitCode);
        }
      })().catch((e) => console.log('failed', e.code, e.syscall));`;
    const result = seccompRun([process.execPath, '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      'CLONE_VM|CLONE_VFORK|CLONE_PARENT_SETTID|SIGCHLD clone number 7',
      'CLONE_PARENT_SETTID|SIGCHLD clone number 7',
    ]);
  });

  it('refuses what clone cannot express with a coded ENOSYS and a hint', () => {
    const script = `
      const lib = require(${JSON.stringify(DIST)});
      for (const flags of ['CLONE_NEWTIME', 'CLONE_CLEAR_SIGHAND']) {
        try { lib.spawn('/bin/true', [], { flags }); console.log('spawned'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, hint: /clone cannot express/.test(e.message) })); }
      }`;
    const result = seccompRun([process.execPath, '-e', script]);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { code: 'ENOSYS', syscall: 'clone3', hint: true },
      { code: 'ENOSYS', syscall: 'clone3', hint: true },
    ]);
  });
});

describe('thread joins without thread pidfds (Linux < 6.9)', () => {
  it('wait() falls back to looking at the CLEARTID word, and joins every thread', () => {
    const script = `
      const lib = require(${JSON.stringify(DIST)});
      (async () => {
        const exits = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          lib.clone(lib.tasks.sleep(20 + i), { flags: lib.presets.thread }).wait()));
        console.log(exits.map((e) => e.exitCode).join(','));
      })();`;
    const result = denySyscall(SYS_PIDFD_OPEN, EINVAL, [process.execPath, '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(new Array(20).fill(0).join(','));
  });
});
