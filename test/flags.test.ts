import { execFileSync } from 'node:child_process';

import { CloneFlags, FLAG_BITS, FLAG_RULES, presets, type FlagName } from '../lib';
import { compileC } from './helpers';

describe('CloneFlags', () => {
  it('knows every flag of Linux 6.x, the 64-bit clone3 ones too', () => {
    expect(FLAG_BITS.NEWTIME).toBe(0x80n);
    expect(FLAG_BITS.CLEAR_SIGHAND).toBe(1n << 32n);
    expect(FLAG_BITS.INTO_CGROUP).toBe(1n << 33n);
    expect(Object.keys(FLAG_BITS)).toHaveLength(27);
  });

  it('round-trips every single flag and the presets through strace syntax', () => {
    const sets = [
      ...(Object.keys(FLAG_BITS) as FlagName[]).map((name) => CloneFlags.of(name)),
      ...Object.values(presets),
      CloneFlags.of('VM', 'SIGRT_3'),
      new CloneFlags(0n),
    ];
    for (const flags of sets) {
      const again = CloneFlags.parse(String(flags));
      expect(again.equals(flags)).toBe(true);
      expect(String(again)).toBe(String(flags));
    }
  });

  it('prints in ascending bit order with the exit signal last, as strace does', () => {
    expect(String(CloneFlags.parse('SIGCHLD|CLONE_VFORK|CLONE_VM'))).toBe(
      'CLONE_VM|CLONE_VFORK|SIGCHLD',
    );
    expect(String(CloneFlags.of('CLEAR_SIGHAND', 'NEWTIME', 'PIDFD'))).toBe(
      'CLONE_NEWTIME|CLONE_PIDFD|CLONE_CLEAR_SIGHAND',
    );
    expect(String(new CloneFlags(0n))).toBe('0');
  });

  it('parses spaces, bare names, decimal and hex words, reading the low byte as the exit signal', () => {
    expect(String(CloneFlags.parse(' CLONE_VM | fs |SIGCHLD '))).toBe('CLONE_VM|CLONE_FS|SIGCHLD');
    expect(String(CloneFlags.parse('0x4111'))).toBe('CLONE_VM|CLONE_VFORK|SIGCHLD');
    expect(String(CloneFlags.parse(String(0x100 | 17)))).toBe('CLONE_VM|SIGCHLD');
    expect(String(CloneFlags.from(0x20000000n | 17n))).toBe('CLONE_NEWPID|SIGCHLD');
    expect(String(CloneFlags.from(['CLONE_NEWNET', 'SIGTERM']))).toBe('CLONE_NEWNET|SIGTERM');
    expect(CloneFlags.parse('CLONE_SIGHAND').has('SIGHAND')).toBe(true);
  });

  it('suggests the nearest name for a misspelling', () => {
    expect(() => CloneFlags.parse('CLONE_VM|SIGCHILD')).toThrow(/did you mean SIGCHLD\?/);
    expect(() => CloneFlags.parse('CLONE_NEWNETT')).toThrow(/did you mean CLONE_NEWNET\?/);
    expect(() => CloneFlags.parse('CLONE_PIDFS')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_CLONE_FLAG' }),
    );
    expect(() => CloneFlags.parse('SIGCHILD')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }),
    );
  });

  it('refuses malformed input with coded errors', () => {
    expect(() => CloneFlags.parse('CLONE_VM||CLONE_FS')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS_SYNTAX' }),
    );
    expect(() => CloneFlags.parse('SIGCHLD|SIGTERM')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS_SYNTAX' }),
    );
    expect(() => CloneFlags.parse('0x400000000')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_CLONE_FLAG' }),
    );
    expect(() => new CloneFlags(1n << 40n)).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_CLONE_FLAG' }),
    );
    expect(() => CloneFlags.from(-1n)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => CloneFlags.from(42 as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => CloneFlags.from([1] as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('is immutable; with/without/has work on flags and the exit signal', () => {
    const base = CloneFlags.of('VM');
    const more = base.with('FS', 'SIGCHLD');
    expect(String(base)).toBe('CLONE_VM');
    expect(String(more)).toBe('CLONE_VM|CLONE_FS|SIGCHLD');
    expect(more.has('SIGCHLD')).toBe(true);
    expect(more.exitSignal).toBe('SIGCHLD');
    expect(String(more.without('SIGCHLD', 'VM'))).toBe('CLONE_FS');
    expect(Object.isFrozen(more)).toBe(true);
  });

  it('presets are the flag lists real code uses', () => {
    expect(String(presets.thread)).toBe(
      'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID',
    );
    expect(String(presets.process)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(String(presets.vfork)).toBe('CLONE_VM|CLONE_VFORK|SIGCHLD');
    for (const preset of Object.values(presets)) expect(preset.brokenRules()).toEqual([]);
  });
});

describe('check() and the kernel agree on every EINVAL rule', () => {
  // Each rule's smallest breaking set; the kernel must answer EINVAL to it.
  const breaking: Array<[string, string]> = [
    ['CLONE_SIGHAND', 'CLONE_SIGHAND was specified, but CLONE_VM was not'],
    ['CLONE_VM|CLONE_THREAD', 'CLONE_THREAD was specified, but CLONE_SIGHAND was not'],
    ['CLONE_FS|CLONE_NEWNS', 'both CLONE_FS and CLONE_NEWNS were specified'],
    ['CLONE_FS|CLONE_NEWUSER', 'both CLONE_NEWUSER and CLONE_FS were specified'],
    ['CLONE_SYSVSEM|CLONE_NEWIPC', 'both CLONE_NEWIPC and CLONE_SYSVSEM were specified'],
    [
      'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWPID',
      'one (or both) of CLONE_NEWPID or CLONE_NEWUSER and CLONE_THREAD were specified',
    ],
    [
      'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWUSER',
      'one (or both) of CLONE_NEWPID or CLONE_NEWUSER and CLONE_THREAD were specified',
    ],
    ['CLONE_PIDFD|CLONE_DETACHED', 'CLONE_PIDFD was specified together with CLONE_DETACHED'],
    ['CLONE_DETACHED', 'CLONE_DETACHED was specified (clone3 refuses it; clone ignores it)'],
    [
      'CLONE_VM|CLONE_SIGHAND|CLONE_CLEAR_SIGHAND',
      'both CLONE_CLEAR_SIGHAND and CLONE_SIGHAND were specified',
    ],
    [
      'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|SIGCHLD',
      'an exit signal was given together with CLONE_THREAD or CLONE_PARENT (clone3 needs exit_signal 0)',
    ],
    [
      'CLONE_PARENT|SIGCHLD',
      'an exit signal was given together with CLONE_THREAD or CLONE_PARENT (clone3 needs exit_signal 0)',
    ],
  ];

  let probe: string;
  beforeAll(() => {
    // Asks the kernel itself: clone3 with the flags, printing the errno.
    probe = compileC(
      'clone3-errno',
      `#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int pidfd = -1;
  struct clone_args args = {0};
  args.flags = strtoull(argv[1], 0, 0);
  args.exit_signal = strtoull(argv[2], 0, 0);
  args.pidfd = (unsigned long)&pidfd;
  long r = syscall(SYS_clone3, &args, sizeof args);
  if (r == 0) syscall(SYS_exit, 0);
  printf("%d\\n", r < 0 ? errno : 0);
  if (r > 0) { siginfo_t si; waitid(P_PID, r, &si, WEXITED | __WALL); }
  return 0;
}`,
    );
  });

  const kernelErrno = (flags: CloneFlags) =>
    Number(
      execFileSync(probe, [`0x${flags.bits.toString(16)}`, String(flags.exitSignalNumber)], {
        encoding: 'utf8',
      }).trim(),
    );

  it.each(breaking)('%s breaks "%s", and clone3 says EINVAL', (spec, rule) => {
    const flags = CloneFlags.parse(spec);
    expect(() => flags.check()).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CLONE_FLAGS', rule }),
    );
    expect(() => flags.check()).toThrow(rule);
    expect(kernelErrno(flags)).toBe(22);
  });

  it('every rule is covered above but the one this kernel has lifted', () => {
    const covered = new Set(breaking.map(([, rule]) => rule));
    const uncovered = FLAG_RULES.map((r) => r.rule).filter((rule) => !covered.has(rule));
    expect(uncovered).toEqual([
      'CLONE_PIDFD was specified together with CLONE_THREAD (allowed since Linux 6.9)',
    ]);
  });

  it('sets that check() accepts are accepted by the kernel too', () => {
    // Not CLONE_PARENT here: its child would be the test runner's, a zombie nobody reaps.
    for (const spec of [
      'SIGCHLD',
      'CLONE_NEWPID|SIGCHLD',
      'CLONE_NEWUSER|CLONE_NEWPID',
      'CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNS|SIGCHLD',
      'CLONE_NEWTIME',
      'CLONE_CLEAR_SIGHAND|SIGCHLD',
    ]) {
      const flags = CloneFlags.parse(spec).check();
      expect([spec, kernelErrno(flags)]).toEqual([spec, 0]);
    }
  });
});
