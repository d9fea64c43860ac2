// 'pipe' at a slot above stdio carries data both ways, as child_process's
// extra pipes do: the child's end is a socket, Node's a Duplex, and neither
// outlives the child's use of it.
import { readlinkSync } from 'node:fs';
import { Duplex } from 'node:stream';

import { run, spawn } from '../lib';
import { openFdCount } from './helpers';

/** Everything `stream` yields until its end. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe("'pipe' above slot 2", () => {
  it('is a Duplex: Node writes what the child reads and reads what it writes, on the same slot', async () => {
    const child = spawn(
      'sh',
      ['-c', 'read question <&3; echo "answer to $question" >&3; readlink /proc/self/fd/3 >&4'],
      { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'] },
    );
    const [three, four] = [child.stdio[3], child.stdio[4]];
    expect(three).toBeInstanceOf(Duplex);
    expect(four).toBeInstanceOf(Duplex);
    const duplex = three as Duplex;
    expect([duplex.readable, duplex.writable]).toEqual([true, true]);
    duplex.write('life\n');
    const [answer, fdKind, exit] = await Promise.all([
      readAll(duplex),
      readAll(four as Duplex),
      child.wait(),
    ]);
    expect(exit.exitCode).toBe(0);
    expect(answer).toBe('answer to life\n');
    expect(fdKind).toMatch(/^socket:\[\d+\]\n$/);
  });

  it("Node's end is a socket too, and slots 0-2 stay one-way pipes", () => {
    const child = spawn('sleep', ['5'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    try {
      const fdOf = (slot: number) =>
        (child.stdio[slot] as unknown as { _handle: { fd: number } })._handle.fd;
      expect(readlinkSync(`/proc/self/fd/${fdOf(3)}`)).toMatch(/^socket:/);
      for (const slot of [0, 1, 2])
        expect(readlinkSync(`/proc/self/fd/${fdOf(slot)}`)).toMatch(/^pipe:/);
      expect([child.stdin?.writable, child.stdout?.writable, child.stderr?.writable]).toEqual([
        true,
        false,
        false,
      ]);
    } finally {
      child.close();
    }
  });

  it('leaves no descriptor once the child is done and the stream read, nor through run()', async () => {
    const script = 'read line <&3; echo "$line" >&3';
    await run('sh', ['-c', 'echo warm >&3'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    const before = openFdCount();
    for (let i = 0; i < 10; i++) {
      const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      const duplex = child.stdio[3] as Duplex;
      duplex.end(`${i}\n`);
      const closed = new Promise((resolve) => duplex.once('close', resolve));
      expect(await readAll(duplex)).toBe(`${i}\n`);
      await Promise.all([child.wait(), closed]);
    }
    for (let i = 0; i < 10; i++)
      await run('sh', ['-c', 'echo unread >&3; echo >&4'], {
        stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
      });
    // A destroyed socket's descriptor closes on the next turns of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(openFdCount()).toBe(before);
  });
});
