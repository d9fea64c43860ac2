// Issue 16: a spawn's parent side at posix_spawn's syscall count. With
// CLONE_VFORK the clone returns once the child has exec'd or exited, so the
// parent reads the child's failure from the shared page and opens no report
// pipe; the page is its thread's, reused. 'ignore' slots share one
// /dev/null per process, opened once and never closed; the child reads
// RLIMIT_NOFILE itself, and only where it needs it, and the parent asks for
// its own PID only for a pdeathsig. Where the parent must hear from a child
// that still runs (no CLONE_VFORK), the pipe stays. strace shows which
// syscalls the spawning thread makes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { run, spawn } from '../lib';
import { compileC, DIST, itWith, openFdCount, runNodeScript, traceSyscalls } from './helpers';

const scratch = mkdtempSync(join(tmpdir(), 'linux-clone-spawn-syscalls-'));

/** One syscall of the spawning thread: its name and strace's whole line. */
interface Call {
  name: string;
  line: string;
}

/**
 * Runs `spawns` (a JS array expression of spawn options) in a Node of its
 * own under strace, each spawn of /bin/true bracketed by marker access()
 * calls, after one spawn that loads the addon. Returns, per spawn, the
 * calls the main thread made inside its brackets (the spawn() call alone).
 */
function spawnWindows(spawns: string): Call[][] {
  const begin = `/lc-spawn-window-begin-${process.pid}`;
  const end = `/lc-spawn-window-end-${process.pid}`;
  const script = `
    const lib = require(${JSON.stringify(DIST)});
    const fs = require('node:fs');
    (async () => {
      await lib.spawn('/bin/true', [], { stdio: 'inherit' }).wait();
      for (const options of ${spawns}) {
        globalThis.gc();
        fs.existsSync(${JSON.stringify(begin)});
        const child = lib.spawn('/bin/true', [], options);
        fs.existsSync(${JSON.stringify(end)});
        await child.wait();
      }
    })();`;
  const { result, trace } = traceSyscalls('all', [process.execPath, '--expose-gc', '-e', script]);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const lines = trace.split('\n');
  // The first line is the main thread's execve of Node.
  const main = lines[0].split(/\s+/)[0];
  const windows: Call[][] = [];
  let inside: Call[] | null = null;
  for (const line of lines) {
    // The second half of a call strace split in two joins its first.
    const resumed = /^(\d+) +<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed !== null && resumed[1] === main && inside !== null) {
      const call = [...inside]
        .reverse()
        .find((c) => c.name === resumed[2] && c.line.endsWith('<unfinished ...>'));
      if (call !== undefined) call.line = call.line.replace(/ <unfinished \.\.\.>$/, resumed[3]);
      continue;
    }
    const match = /^(\d+) +(\w+)\(/.exec(line);
    // Other threads' calls.
    if (match === null || match[1] !== main) continue;
    if (line.includes(begin)) {
      inside = [];
    } else if (line.includes(end) && inside !== null) {
      windows.push(inside);
      inside = null;
    } else if (inside !== null) {
      inside.push({ name: match[2], line });
    }
  }
  return windows;
}

/**
 * What the spawn path itself asked the kernel for: the window less the
 * handle's poller (epoll_ctl, and ioctl to make the pidfd non-blocking),
 * which the handle owns, and what V8 and Node's other threads make the main
 * thread do at any moment (futex; madvise, mprotect, and mmap or munmap of
 * anything but a one-page shared mapping, which V8 never makes).
 */
function spawnPathCalls(window: Call[]): string[] {
  const background = new Set(['epoll_ctl', 'ioctl', 'futex', 'madvise', 'mprotect']);
  const onePage = (call: Call) =>
    (call.name === 'mmap' && /MAP_SHARED/.test(call.line)) ||
    (call.name === 'munmap' && /, 4096\b/.test(call.line));
  return window
    .filter((call) => !background.has(call.name))
    .filter((call) => !['mmap', 'munmap'].includes(call.name) || onePage(call))
    .map((call) =>
      call.name === 'openat' ? `openat ${/"[^"]*"/.exec(call.line)?.[0]}` : call.name,
    )
    .map((name) => (name === 'clone' ? 'clone3' : name));
}

const CLONE_ALONE = ['rt_sigprocmask', 'clone3', 'rt_sigprocmask'];

describe("the spawning thread's syscalls", () => {
  itWith('strace')(
    'a vfork spawn is the clone between two signal masks: no report pipe, no page mapped, /dev/null opened once, no prlimit or getpid',
    () => {
      const windows = spawnWindows(`Array(5).fill({ stdio: 'ignore' })`);
      expect(windows).toHaveLength(5);
      // The first 'ignore' slot of the process opens its /dev/null.
      expect(windows.map(spawnPathCalls)).toEqual([
        ['openat "/dev/null"', ...CLONE_ALONE],
        CLONE_ALONE,
        CLONE_ALONE,
        CLONE_ALONE,
        CLONE_ALONE,
      ]);
    },
  );

  itWith('strace')('getpid only for the pdeathsig re-check, which needs it', () => {
    const windows = spawnWindows(`[{ stdio: 'inherit', pdeathsig: 'SIGKILL' }]`);
    expect(windows.map(spawnPathCalls)).toEqual([['getpid', ...CLONE_ALONE]]);
  });

  itWith('strace')(
    'without CLONE_VFORK the parent still waits for the exec on the report pipe; CLONE_VFORK alone needs none',
    () => {
      const [forkLike, vforkAlone] = spawnWindows(
        `[{ stdio: 'inherit', fastPath: false }, { stdio: 'inherit', fastPath: false, flags: 'CLONE_VFORK' }]`,
      );
      const forkLikeCalls = spawnPathCalls(forkLike);
      // A fresh page for a child that runs on after the clone returns, the
      // pipe, and the read that returns EOF at its exec.
      expect(forkLikeCalls).toEqual(
        expect.arrayContaining(['mmap', 'pipe2', 'read', 'munmap', ...CLONE_ALONE]),
      );
      expect(forkLike.find((call) => call.name === 'read')?.line).toMatch(/= 0$/);
      expect(spawnPathCalls(vforkAlone)).toEqual(CLONE_ALONE);
    },
  );
});

describe('the close_range fallback (kernels before 5.11)', () => {
  it('reads the child’s own RLIMIT_NOFILE, as it was before a container’s rlimits lowered it', () => {
    // Node runs with close_range answering ENOSYS, and with fd 40 open and
    // inheritable (as a parent process may leave one): the child's
    // fallback must mark it close-on-exec, with or without a lower limit.
    const launcher = compileC(
      'close-range-enosys',
      `#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 436 /* close_range */, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
  if (argc < 2 || dup2(open("/dev/null", O_RDONLY), 40) != 40) return 2;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) { perror("seccomp"); return 1; }
  execvp(argv[1], argv + 1);
  perror("execvp");
  return 127;
}`,
    );
    const out = runNodeScript(
      `
      const fs = require('node:fs');
      (async () => {
        const list = ['-c', 'ls /proc/self/fd | tr "\\n" " "'];
        const plain = await lib.run('/bin/sh', list);
        const lowered = await lib.run('/bin/sh', list, { rlimits: { nofile: { soft: 20, hard: 20 } } });
        console.log(JSON.stringify([fs.readlinkSync('/proc/self/fd/40'), plain.stdout, lowered.stdout]));
      })();`,
      { prefix: [launcher] },
    );
    // 3 is ls's own directory.
    expect(JSON.parse(out)).toEqual(['/dev/null', '0 1 2 3 ', '0 1 2 3 ']);
  });
});

describe('a child’s failure reaches the parent on every path', () => {
  // CLONE_VM|CLONE_VFORK (the default), CLONE_VFORK without CLONE_VM (the
  // child writes the MAP_SHARED page from its own copy of memory), CLONE_VM
  // without CLONE_VFORK and neither (both through the report pipe).
  const paths: [string, object][] = [
    ['the fast path', {}],
    ['CLONE_VFORK alone', { fastPath: false, flags: 'CLONE_VFORK' }],
    ['CLONE_VM alone', { fastPath: false, flags: 'CLONE_VM' }],
    ['fork-like', { fastPath: false }],
  ];

  it.each(paths)(
    '%s: failures and successes alternate, and none sees another’s report',
    async (_, options) => {
      for (let i = 0; i < 10; i++) {
        expect(() => spawn('/no/such/program', [], { ...options, stdio: 'ignore' })).toThrow(
          expect.objectContaining({ code: 'ENOENT', syscall: 'execve' }),
        );
        const fine = await run('/bin/echo', [`round ${i}`], options);
        expect(fine).toMatchObject({ exitCode: 0, stdout: `round ${i}\n` });
        await expect(
          run('/bin/true', [], { ...options, cwd: '/no/such/dir' }),
        ).rejects.toMatchObject({ code: 'ENOENT', syscall: 'chdir', path: '/no/such/dir' });
      }
    },
  );

  it.each(paths)('%s: a seccomp filter that denies write loses no report', async (_, options) => {
    await expect(
      run('/no/such/program', [], { ...options, seccomp: { deny: ['write'] } }),
    ).rejects.toMatchObject({ code: 'ENOENT', syscall: 'execve' });
  });

  it.each(paths)(
    '%s: an exec killed past its point of no return left no report: a started child, ended by SIGSEGV',
    async (_, options) => {
      // An ELF whose one PT_LOAD segment lies at a kernel address: execve
      // replaces the memory, cannot map the segment, and the kernel kills it.
      const elf = Buffer.alloc(120);
      elf.write('\x7fELF', 0, 'latin1');
      elf.set([2, 1, 1], 4); // 64-bit, little-endian, version 1
      elf.writeUInt16LE(2, 16); // ET_EXEC
      elf.writeUInt16LE(62, 18); // x86-64
      elf.writeUInt32LE(1, 20);
      elf.writeBigUInt64LE(0xffff800000001000n, 24); // entry
      elf.writeBigUInt64LE(64n, 32); // program headers right after this one
      elf.writeUInt16LE(64, 52);
      elf.writeUInt16LE(56, 54);
      elf.writeUInt16LE(1, 56);
      elf.writeUInt32LE(1, 64); // PT_LOAD
      elf.writeUInt32LE(5, 68); // R|X
      elf.writeBigUInt64LE(0xffff800000000000n, 80); // vaddr
      elf.writeBigUInt64LE(0xffff800000000000n, 88); // paddr
      elf.writeBigUInt64LE(120n, 96); // file size
      elf.writeBigUInt64LE(0x1000n, 104); // memory size
      elf.writeBigUInt64LE(0x1000n, 112); // alignment
      const program = join(scratch, 'unmappable');
      writeFileSync(program, elf, { mode: 0o755 });
      const child = spawn(program, [], { ...options, stdio: 'ignore' });
      expect(child.pid).toBeGreaterThan(0);
      expect(await child.wait()).toMatchObject({ exitCode: null, signal: 'SIGSEGV' });
    },
  );
});

describe('the process’s one /dev/null', () => {
  it('serves every ignored slot: no fd per spawn, none inherited, stdin is /dev/null', async () => {
    await run('/bin/true', [], { stdio: 'ignore' });
    const before = openFdCount();
    for (let i = 0; i < 20; i++) await spawn('/bin/true', [], { stdio: 'ignore' }).wait();
    expect(openFdCount()).toBe(before);
    const listing = await run('/bin/sh', ['-c', 'readlink /proc/self/fd/0; ls /proc/self/fd'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // 3 is ls's own directory.
    expect(String(listing.stdout).split('\n')).toEqual(['/dev/null', '0', '1', '2', '3', '']);
  });

  it('stays open for the main thread after workers that spawned with it are terminated mid-spawn', () => {
    const out = runNodeScript(`
      const { Worker } = require('node:worker_threads');
      const source = ${JSON.stringify(`
        const lib = require(${JSON.stringify(DIST)});
        require('node:worker_threads').parentPort.postMessage('ready');
        (async () => {
          for (;;) {
            try { lib.spawn('/no/such/program', [], { stdio: 'ignore' }); } catch {}
            await lib.spawn('/bin/true', [], { stdio: 'ignore' }).wait();
          }
        })();`)};
      const workers = Array.from({ length: 3 }, () => new Worker(source, { eval: true }));
      Promise.all(workers.map((w) => new Promise((ok) => w.once('message', ok))))
        .then(() => new Promise((ok) => setTimeout(ok, 300)))
        .then(() => Promise.all(workers.map((w) => w.terminate())))
        .then(async () => {
          const r = await lib.run('/bin/readlink', ['/proc/self/fd/0'], { stdio: ['ignore', 'pipe', 'pipe'] });
          let failed;
          try { lib.spawn('/no/such/program', [], { stdio: 'ignore' }); } catch (e) { failed = e.code; }
          console.log(JSON.stringify([r.stdout, failed, (await lib.run('/bin/true')).exitCode]));
        });`);
    expect(JSON.parse(out)).toEqual(['/dev/null\n', 'ENOENT', 0]);
  });

  it('is opened close-on-exec, once, and kept', () => {
    // In a Node of its own, whose fds above 2 hold no other /dev/null open
    // for reading and writing (libuv keeps one read-only, for EMFILE).
    const out = runNodeScript(`
      const fs = require('node:fs');
      const nulls = () => fs.readdirSync('/proc/self/fd')
        .filter((fd) => { try { return fd > 2 && fs.readlinkSync('/proc/self/fd/' + fd) === '/dev/null'; } catch { return false; } })
        .map((fd) => [Number(fd), parseInt(/flags:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8)]);
      (async () => {
        const before = nulls();
        await lib.spawn('/bin/true', [], { stdio: 'ignore' }).wait();
        await lib.spawn('/bin/true', [], { stdio: ['pipe', 'ignore', 'ignore'] }).wait();
        const after = nulls();
        const readWrite = (list) => list.filter(([, flags]) => (flags & 3) === 2).map(([, flags]) => flags & 0o2000000);
        console.log(JSON.stringify({ before: readWrite(before), after: readWrite(after) }));
      })();`);
    expect(JSON.parse(out)).toEqual({ before: [], after: [0o2000000] });
  });
});
