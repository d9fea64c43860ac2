// The CLI never orphans its program (issue 14, item 12): it passed on only
// INT, TERM, HUP and QUIT, so SIGUSR2 or SIGALRM ended Node and left the
// program running under pid 1. Every signal Node can listen to is passed
// on; the program dies with the CLI whatever ends it.
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

import { spawn as libSpawn } from '../lib';

import { CLI, pidsRunning, processRunning, sleep } from './helpers';

/** Starts `linux-clone run` on a shell that prints its pid, then sleeps; resolves once it runs. */
async function startCli(): Promise<{ cli: ChildProcess; program: number }> {
  const cli = nodeSpawn(
    process.execPath,
    [CLI, 'run', '--', 'sh', '-c', 'echo $$; exec sleep 60'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // The CLI listens for signals before it spawns: a printed pid means it forwards.
  const line = await new Promise<string>((resolve) =>
    cli.stdout.once('data', (data: Buffer) => resolve(data.toString())),
  );
  return { cli, program: Number(line.trim()) };
}

function exitOf(cli: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => cli.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits up to 10 s for `pid` to end: the kernel's pdeathsig comes as the CLI ends. */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && processRunning(pid); i++) await sleep(50);
  return !processRunning(pid);
}

describe('the CLI never orphans its program (issue 14, item 12)', () => {
  it.each(['SIGUSR2', 'SIGALRM', 'SIGUSR1', 'SIGPIPE', 'SIGHUP', 'SIGXCPU', 'SIGPWR'] as const)(
    'passes %s on, and exits 128+signal as the shell does',
    async (signal) => {
      const { cli, program } = await startCli();
      const exiting = exitOf(cli);
      cli.kill(signal);
      expect(await exiting).toEqual({ code: 128 + constants.signals[signal], signal: null });
      expect(await ended(program)).toBe(true);
    },
  );

  it('a signal Node cannot listen to (a real-time one, SIGSEGV) ends the program with the CLI', async () => {
    // Signal 40 is a real-time one: Node names none of them, so it takes no listener.
    for (const signal of [40, constants.signals.SIGSEGV]) {
      const { cli, program } = await startCli();
      const exiting = exitOf(cli);
      process.kill(cli.pid!, signal);
      // Node names no real-time signal, so its 'exit' event reports signal 40 as code 0.
      expect(await exiting).not.toEqual({ code: 128 + signal, signal: null });
      expect(await ended(program)).toBe(true);
    }
  });

  it('SIGWINCH reaches the program, which lives on', async () => {
    const { cli, program } = await startCli();
    const exiting = exitOf(cli);
    try {
      cli.kill('SIGWINCH');
      await sleep(200);
      expect(processRunning(program)).toBe(true);
    } finally {
      cli.kill('SIGTERM');
    }
    expect(await exiting).toEqual({ code: 128 + constants.signals.SIGTERM, signal: null });
  });
});

describe('under --enter too (issue 14, items 10 and 12)', () => {
  it('a program run in an entered PID namespace dies with the CLI, without --die-with-parent', async () => {
    const target = libSpawn('sleep', ['30'], {
      flags: 'CLONE_NEWUSER|CLONE_NEWPID',
      mapRootUser: true,
    });
    // A duration no other test uses names the program among the host's processes.
    const program = ['sleep', '61.25'];
    const cli = nodeSpawn(
      process.execPath,
      [CLI, 'run', '--enter', String(target.pid), '--ns', 'user,pid', '--', ...program],
      { stdio: 'ignore' },
    );
    try {
      for (let i = 0; i < 200 && pidsRunning(program).length === 0; i++) await sleep(50);
      const [pid] = pidsRunning(program);
      expect(pid).toBeDefined();
      const exiting = exitOf(cli);
      cli.kill('SIGKILL');
      await exiting;
      expect(await ended(pid)).toBe(true);
    } finally {
      for (const pid of pidsRunning(program)) process.kill(pid, 'SIGKILL');
      target.kill('SIGKILL');
      await target.wait();
    }
  });
});
