// Issue 14, item 11: a seccomp deny list denies what programs really call.
// glibc's open() is openat and mkdir(1) calls mkdirat, so a denied name
// denies its aliases (lib/syscall-aliases.ts) unless `aliases` is false; and
// io_uring, which does opens and mkdirs without their syscalls, is denied
// with any list unless `allowIoUring` is true.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { run } from '../lib';
import { IO_URING_SYSCALLS, SYSCALL_ALIASES } from '../lib/syscall-aliases';
import { SYSCALL_NUMBERS } from '../lib/syscall-table';
import { compileC, hasCommand, itIf } from './helpers';

// Asks the kernel for an io_uring; prints "ring" when it gets one, else the errno.
const IO_URING_PROGRAM = `
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  long fd = syscall(__NR_io_uring_setup, 4, &params);
  if (fd < 0) { printf("%s\\n", strerror(errno)); return 1; }
  printf("ring\\n");
  return 0;
}
`;

// Makes the directory argv[1] through mkdirat, as coreutils does on some systems.
const MKDIRAT_PROGRAM = `
#include <fcntl.h>
#include <sys/stat.h>
int main(int argc, char **argv) { return argc == 2 && mkdirat(AT_FDCWD, argv[1], 0700) == 0 ? 0 : 1; }
`;

describe('a seccomp deny list denies what programs call (issue 14, item 11)', () => {
  it('every alias and io_uring name is an x86_64 syscall', () => {
    const names = [...Object.entries(SYSCALL_ALIASES).flat(2), ...IO_URING_SYSCALLS];
    expect(names.filter((name) => !Object.hasOwn(SYSCALL_NUMBERS, name))).toEqual([]);
  });

  it("deny ['open'] stops cat, which opens through openat; aliases: false does not", async () => {
    const denied = await run('cat', ['/etc/hostname'], { seccomp: { deny: ['open'] } });
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Operation not permitted/);
    const exact = await run('cat', ['/etc/hostname'], {
      seccomp: { deny: ['open'], aliases: false },
    });
    expect(exact.exitCode).toBe(0);
  });

  itIf(hasCommand('cc'), 'cc, not installed')(
    "deny ['mkdir'] stops mkdir(1) and a program calling mkdirat; aliases: false lets mkdirat through",
    async () => {
      const mkdirat = compileC('mkdirat', MKDIRAT_PROGRAM);
      const dir = mkdtempSync(join(tmpdir(), 'linux-clone-seccomp-'));
      try {
        const deny = { deny: ['mkdir'] };
        expect((await run('mkdir', [join(dir, 'a')], { seccomp: deny })).exitCode).not.toBe(0);
        expect((await run(mkdirat, [join(dir, 'b')], { seccomp: deny })).exitCode).not.toBe(0);
        expect(existsSync(join(dir, 'a')) || existsSync(join(dir, 'b'))).toBe(false);
        const exact = await run(mkdirat, [join(dir, 'c')], {
          seccomp: { deny: ['mkdir'], aliases: false },
        });
        expect(exact.exitCode).toBe(0);
        expect(existsSync(join(dir, 'c'))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  itIf(hasCommand('cc'), 'cc, not installed')(
    'any deny list denies io_uring, so no ring can open a file past it; allowIoUring: true allows it',
    async () => {
      const program = compileC('io-uring-setup', IO_URING_PROGRAM);
      const free = await run(program);
      // Where the kernel gives no rings at all, there is nothing to deny and the test says so.
      expect(free.stdout).toBe('ring\n');
      const denied = await run(program, [], { seccomp: { deny: ['ptrace'] } });
      expect(denied.stdout).toBe('Operation not permitted\n');
      const allowed = await run(program, [], { seccomp: { deny: ['ptrace'], allowIoUring: true } });
      expect(allowed.stdout).toBe('ring\n');
    },
  );

  it('aliases and allowIoUring must be booleans', async () => {
    for (const seccomp of [
      { deny: [], aliases: 1 },
      { deny: [], allowIoUring: 'yes' },
    ]) {
      await expect(run('true', [], { seccomp: seccomp as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
      });
    }
  });
});
