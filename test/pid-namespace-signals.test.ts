// A program that is pid 1 of a new PID namespace can still be stopped
// (issue 14, item 9): the kernel drops the signals such an init has no
// handler for, so a timeout, an abort, kill() or the CLI's forwarded
// SIGTERM used to leave `sleep` running for its whole time.
import { spawn as nodeSpawn } from 'node:child_process';

import { run, spawn } from '../lib';
import { CLI, compileC, pidsRunning, sleep } from './helpers';

const PIDNS = { flags: 'CLONE_NEWUSER|CLONE_NEWPID', mapRootUser: true } as const;
/** Longer than any test here may take: a child still running at the end was not stopped. */
const LONG = '60';

/** A program that prints 'ready' once it catches SIGTERM, then exits 7 on it. */
const catchesTerm = () =>
  compileC(
    'catches-term',
    `#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static void on_term(int sig) { (void)sig; _exit(7); }
int main(void) {
  signal(SIGTERM, on_term);
  puts("ready");
  fflush(stdout);
  for (;;) pause();
}
`,
  );

describe('a pid 1 of its own PID namespace can be stopped (issue 14, item 9)', () => {
  it('timeout ends it', async () => {
    const result = await run('sleep', [LONG], { ...PIDNS, timeout: 100 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGKILL');
  });

  it('an AbortSignal ends it', async () => {
    const controller = new AbortController();
    const running = run('sleep', [LONG], { ...PIDNS, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('kill() with SIGTERM or SIGINT ends it', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const child = spawn('sleep', [LONG], PIDNS);
      expect(child.kill(signal)).toBe(true);
      const exit = await child.wait();
      expect(exit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    }
  });

  it('a signal the program catches reaches it as sent, not as SIGKILL', async () => {
    const child = spawn(catchesTerm(), [], { ...PIDNS, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    child.kill('SIGTERM');
    expect(await child.wait()).toMatchObject({ exitCode: 7, signal: null });
  });

  it('a signal whose default action does not end a process is sent as asked', async () => {
    const child = spawn('sleep', [LONG], PIDNS);
    try {
      child.kill('SIGWINCH');
      child.kill('SIGCONT');
      await sleep(100);
      expect(child.exitInfo).toBeNull();
    } finally {
      child.close();
    }
  });

  it('the CLI under --pid ends its program on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // A duration no other test uses names the program among the host's processes.
      const program = ['sleep', '60.75'];
      const cli = nodeSpawn(process.execPath, [CLI, 'run', '--user', '--pid', '--', ...program], {
        stdio: 'ignore',
      });
      const exiting = new Promise<number | null>((resolve) => cli.on('exit', resolve));
      // The CLI listens for signals before it spawns, so once the program runs
      // it forwards; the signal goes to sleep itself, which has no handler (a
      // shell before its exec would catch SIGINT and exit 130 by itself).
      for (let i = 0; i < 200 && pidsRunning(program).length === 0; i++) await sleep(50);
      expect(pidsRunning(program)).toHaveLength(1);
      cli.kill(signal);
      expect(await exiting).toBe(128 + 9);
    }
  });
});
