// The addon's socketpair(): the two-way channel the child_process front end
// gives a 'pipe' slot, as Node's own pipes are socket pairs. Both ends are
// close-on-exec from birth, and a failure is a CloneError, leaking nothing.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';

import { run } from '../lib';
import { addon } from '../lib/binding';
import { openFdCount, ROOT } from './helpers';

const O_CLOEXEC = 0o2000000;

/** The open flags of our fd `fd`, from /proc/self/fdinfo. */
function openFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return parseInt(/^flags:\s*([0-7]+)$/m.exec(info)![1], 8);
}

describe('addon socketpair()', () => {
  it('gives two connected sockets, both close-on-exec, and nothing else', () => {
    const before = openFdCount();
    const pair = addon().socketpair();
    expect(pair).toHaveLength(2);
    const [ours, theirs] = pair;
    expect(openFdCount()).toBe(before + 2);
    for (const fd of pair) {
      expect(Number.isInteger(fd) && fd > 2).toBe(true);
      expect(fstatSync(fd).isSocket()).toBe(true);
      expect(openFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
    }
    expect(ours).not.toBe(theirs);
    closeSync(ours);
    closeSync(theirs);
    expect(openFdCount()).toBe(before);
  });

  it("carries data both ways between Node and a child's slot", async () => {
    const [ours, theirs] = addon().socketpair();
    const socket = new Socket({ fd: ours, readable: true, writable: true });
    const heard: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      heard.push(chunk);
      if (Buffer.concat(heard).toString() === 'ping\n') socket.write('pong\n');
    });
    try {
      const result = await run(
        'sh',
        ['-c', 'echo ping >&3; read answer <&3; echo "child read $answer"'],
        { stdio: ['ignore', 'pipe', 'inherit', theirs] },
      );
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe('child read pong\n');
    } finally {
      closeSync(theirs);
      socket.destroy();
    }
  });

  it('fails as a CloneError with EMFILE, leaking no descriptor, when none is left', () => {
    // A Node of its own under a low RLIMIT_NOFILE, filled to the brim.
    const script = `
      const fs = require('node:fs');
      const addon = require('node-gyp-build')(${JSON.stringify(ROOT)});
      addon.setErrorFactory((errno, syscall) => Object.assign(new Error(syscall), { code: 'CLONE', errno, syscall }));
      const held = [];
      for (;;) { try { held.push(fs.openSync('/dev/null', 'r')); } catch { break; } }
      fs.closeSync(held.pop()); // room for one end, not two
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const before = count();
      let shape;
      try { addon.socketpair(); shape = 'no error'; } catch (e) { shape = { errno: e.errno, syscall: e.syscall }; }
      console.log(JSON.stringify({ shape, leaked: count() - before }));`;
    const result = spawnSync(
      'sh',
      ['-c', 'ulimit -n 64 && exec "$0" -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      shape: { errno: -24, syscall: 'socketpair' },
      leaked: 0,
    });
  });
});
