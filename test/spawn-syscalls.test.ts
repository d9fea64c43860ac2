// Issue 16: a spawn's parent side at posix_spawn's syscall count. 'ignore'
// slots share one /dev/null per process, opened once and never closed; the
// child reads RLIMIT_NOFILE itself, and only where it needs it, and the
// parent asks for its own PID only for a pdeathsig. strace shows which
// syscalls the spawning thread makes.
import { run, spawn } from '../lib';
import { compileC, DIST, itWith, openFdCount, runNodeScript, traceSyscalls } from './helpers';

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

describe("the spawning thread's syscalls", () => {
  itWith('strace')('no prlimit per spawn, and getpid only for the pdeathsig re-check', () => {
    const names = spawnWindows(
      `[{ stdio: 'inherit' }, { stdio: 'inherit', pdeathsig: 'SIGKILL' }]`,
    ).map((window) => window.map((call) => call.name));
    expect(names).toHaveLength(2);
    expect(names[0].filter((name) => ['prlimit64', 'getpid'].includes(name))).toEqual([]);
    expect(names[1].filter((name) => ['prlimit64', 'getpid'].includes(name))).toEqual(['getpid']);
  });
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
