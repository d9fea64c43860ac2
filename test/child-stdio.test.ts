// Issue 14, item 6: children got non-blocking stdio. With Node's stdout a
// pipe libuv had made O_NONBLOCK, a child given it stopped at the first
// EAGAIN (65,536 bytes of 3,000,000). The child clears O_NONBLOCK on every
// slot it gets.
import { spawnSync } from 'node:child_process';

import { DIST } from './helpers';

describe('children get blocking stdio', () => {
  it('a child writing 3 MB to an inherited pipe that is non-blocking in Node writes all of it', () => {
    // Node's stdout is a pipe here; using process.stdout makes libuv set O_NONBLOCK on it.
    const script = `const lib = require(${JSON.stringify(DIST)});
      process.stdout.write('');
      lib.run('head', ['-c', '3000000', '/dev/zero'], { stdio: 'inherit' })
        .then((r) => process.stderr.write('exit ' + r.exitCode));`;
    const result = spawnSync('sh', ['-c', '"$0" -e "$1" | wc -c', process.execPath, script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stdout.trim()).toBe('3000000');
    expect(result.stderr).toBe('exit 0');
  });

  it('every slot the child gets is blocking, whatever Node had', () => {
    // Slots 0 and 2 are Node's stdout, a pipe libuv made non-blocking; slot 1
    // a pipe of the library's. grep reports each slot's flags (octal).
    const script = `const lib = require(${JSON.stringify(DIST)});
      process.stdout.write('');
      const flags = (fd) => require('fs').readFileSync('/proc/self/fdinfo/' + fd, 'utf8').match(/flags:\\s+(\\d+)/)[1];
      const nodeNonblocking = (parseInt(flags(1), 8) & 0o4000) !== 0;
      lib.run('grep', ['-h', '^flags', '/proc/self/fdinfo/0', '/proc/self/fdinfo/1', '/proc/self/fdinfo/2'],
        { stdio: [1, 'pipe', 1] })
        .then((r) => process.stderr.write(JSON.stringify([nodeNonblocking, r.stdout.trim().split('\\n')
          .map((line) => (parseInt(line.split(/\\s+/)[1], 8) & 0o4000) !== 0)])));`;
    const result = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(result.stderr)).toEqual([true, [false, false, false]]);
  });
});
