// A task that shares Node's signal handlers (CLONE_SIGHAND) may not be the
// init of a new PID namespace: when such an init ends, the kernel sets
// SIGCHLD to SIG_IGN in its handler table (zap_pid_ns_processes), which is
// Node's. From then on the kernel reaps every child of Node at its exit, and
// a wait() finds ECHILD: the fuzz campaign found this as task stacks that
// were never freed. clone and probe refuse the pair before cloning, and the
// addon refuses it at its boundary too.
import { compileC, runNodeScript } from './helpers';

// SigIgn's bit for SIGCHLD (17) in a Node that tried the pair, and what a
// plain child reports afterwards: its exit code, or the error its wait gave.
const AFTER_THE_PAIR = `
  const { readFileSync } = require('node:fs');
  const sigchldIgnored = () =>
    (BigInt('0x' + readFileSync('/proc/self/status', 'utf8').match(/SigIgn:\\t(\\w+)/)[1]) >> 16n) & 1n;
  const code = (f) => { try { return f(); } catch (e) { return e.code; } };
  (async () => {
    const flags = ['VM', 'SIGHAND', 'NEWPID'];
    let cloned = code(() => lib.clone(lib.tasks.exit(0), { flags }));
    if (typeof cloned === 'object') cloned = (await cloned.wait()).exitCode;
    let fused = code(() => lib.cloneSync(lib.tasks.exit(0), { flags }));
    if (typeof fused === 'object') fused = fused.exitCode;
    let probed = code(() => lib.probe(flags));
    if (typeof probed === 'object') probed = await probed.then(() => 'probed', (e) => e.code);
    const later = await lib.clone(lib.tasks.exit(3)).wait();
    console.log(JSON.stringify({ cloned, fused, probed, ignored: Number(sigchldIgnored()), later: later.exitCode }));
  })();`;

describe('CLONE_NEWPID with CLONE_SIGHAND', () => {
  it('is refused by clone, cloneSync and probe before cloning, so Node keeps reaping its own children', () => {
    const out = JSON.parse(runNodeScript(AFTER_THE_PAIR)) as unknown;
    expect(out).toEqual({
      cloned: 'ERR_INVALID_CLONE_FLAGS',
      fused: 'ERR_INVALID_CLONE_FLAGS',
      probed: 'ERR_INVALID_CLONE_FLAGS',
      ignored: 0,
      later: 3,
    });
  });

  it('says why in the refusal', () => {
    const out = runNodeScript(
      `try { lib.clone(lib.tasks.exit(0), { flags: 'CLONE_VM|CLONE_SIGHAND|CLONE_NEWPID|SIGCHLD' }); } catch (e) { console.log(e.constructor.name, e.message); }`,
    );
    expect(out).toMatch(
      /^RangeError clone cannot use CLONE_NEWPID with CLONE_SIGHAND: .*SIGCHLD to SIG_IGN/,
    );
  });

  // The addon's own refusal of the pair: test/native-policy.test.ts.
});

// The same harm from elsewhere (an addon that ignores SIGCHLD): the kernel
// reaps each child at its exit, and the first look finds ECHILD. The handle
// must count that as the end, report it, and free the task's stack and
// block, which nothing runs on any more.
const IGNORE_SIGCHLD = `#include <signal.h>
__attribute__((constructor)) static void ignore_sigchld(void) { signal(SIGCHLD, SIG_IGN); }
`;

describe('a task the kernel reaped behind Node’s back', () => {
  it('is reported with exit code -1 and leaves no mapping behind', () => {
    const library = compileC('ignore-sigchld.so', IGNORE_SIGCHLD, ['-shared', '-fPIC']);
    const out = runNodeScript(`
      // Not an addon, so dlopen throws; its constructor has run by then.
      try { process.dlopen({ exports: {} }, ${JSON.stringify(library)}); } catch {}
      const maps = () => require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
      (async () => {
        for (let i = 0; i < 40; i++) await lib.clone(lib.tasks.exit(0)).wait();
        const before = maps();
        const codes = new Set();
        const pause = new Int32Array(new SharedArrayBuffer(4));
        for (let i = 0; i < 300; i++) {
          const child = lib.clone(lib.tasks.exit(0));
          Atomics.wait(pause, 0, 0, 5); // it ends before the loop's first look at it
          codes.add((await child.wait()).exitCode);
        }
        console.log(JSON.stringify({ codes: [...codes], grew: maps() - before }));
      })();`);
    const { codes, grew } = JSON.parse(out) as { codes: number[]; grew: number };
    expect(codes).toEqual([-1]);
    // A task's stack (two mappings) and block: 900 if each stayed.
    expect(grew).toBeLessThan(30);
  });
});
