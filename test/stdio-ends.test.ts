// Node's ends of a child's pipes close once the child is gone (issue 14,
// item 5: every default spawn left its stdin pipe open, one fd per child,
// until spawn failed with EMFILE). Each case runs in a Node of its own so
// that its fd count is not the test runner's.
import { spawnSync } from 'node:child_process';

import { DIST, runNodeScript } from './helpers';

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

describe('a default spawn leaks no fd (issue 14, item 5)', () => {
  it('200 awaited default spawns leave Node with the fds it had', () => {
    const stdout = runNodeScript(`
      const fs = require('fs');
      (async () => {
        // The first spawn loads the addon, which keeps what it opens.
        await lib.spawn('true').wait();
        await new Promise((r) => setTimeout(r, 50));
        const before = fs.readdirSync('/proc/self/fd').length;
        for (let i = 0; i < 200; i++) await lib.spawn('true').wait();
        await new Promise((r) => setTimeout(r, 50));
        console.log(fs.readdirSync('/proc/self/fd').length - before);
      })();`);
    expect(Number(lastLine(stdout))).toBeLessThanOrEqual(0);
  });

  it('under ulimit -n 64, 300 default spawns all succeed', () => {
    const script = `const lib = require(${JSON.stringify(DIST)});
      (async () => { for (let i = 0; i < 300; i++) await lib.spawn('true').wait(); console.log('ok'); })()
        .catch((e) => { console.log(e.code, e.syscall); process.exitCode = 1; });`;
    const result = spawnSync(
      'sh',
      ['-c', 'ulimit -n 64 && exec "$0" -e "$1"', process.execPath, script],
      { encoding: 'utf8' },
    );
    expect(result.stdout.trim()).toBe('ok');
  });

  it('a child that exits while its stdin is still being written ends the write, not Node', () => {
    const stdout = runNodeScript(`
      (async () => {
        const child = lib.spawn('true');
        child.stdin.on('error', () => {});
        const exit = await child.wait();
        await new Promise((r) => setImmediate(r));
        console.log(exit.exitCode, child.stdin.destroyed);
      })();`);
    expect(lastLine(stdout)).toBe('0 true');
  });
});
