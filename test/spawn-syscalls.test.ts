// Issue 16: a spawn's parent side at posix_spawn's syscall count. 'ignore'
// slots share one /dev/null per process, opened once and never closed.
import { run, spawn } from '../lib';
import { DIST, openFdCount, runNodeScript } from './helpers';

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
