// Issue 14, item 13: nothing set on Object.prototype (or any prototype of an
// option object) is ever taken for an option, at the top level or nested.
// Each case pollutes a fresh Node, so the pollution cannot reach other tests.
import { spawnSync } from 'node:child_process';

import { DIST } from './helpers';

/** Runs `script` in a new Node with `lib` bound to the package; the last line it prints. */
function lastLineOf(script: string): { line: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['-e', `const lib = require(${JSON.stringify(DIST)});\n${script}`],
    { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
  );
  return { line: result.stdout.trim().split('\n').at(-1) ?? '', stderr: result.stderr };
}

const PROBE = `'echo "$PWD $POLLUTED $0"; ulimit -n; cut -d" " -f6 /proc/self/stat; readlink /proc/self/ns/uts'`;

describe('Object.prototype never reaches a child (issue 14, item 13)', () => {
  it.each([
    ['cwd', '/'],
    ['env', { POLLUTED: '1' }],
    ['POLLUTED', '1'],
    ['argv0', 'polluted'],
    ['setsid', true],
    ['flags', 'CLONE_NEWUTS'],
    ['rlimits', { nofile: 5 }],
    ['nofile', 5],
    ['stdio', 'ignore'],
  ])('Object.prototype.%s is ignored by run, with and without nested options', (key, value) => {
    const { line, stderr } = lastLineOf(`
      (async () => {
        const call = () => lib.run('/bin/sh', ['-c', ${PROBE}], { env: { PATH: '/usr/bin:/bin' }, rlimits: {} });
        const plain = await call();
        Object.prototype[${JSON.stringify(key)}] = ${JSON.stringify(value)};
        const after = await call();
        delete Object.prototype[${JSON.stringify(key)}];
        console.log(JSON.stringify(plain.stdout === after.stdout && plain.stderr === after.stderr));
      })().catch((e) => console.log(JSON.stringify(e.code ?? String(e))));`);
    expect(stderr).toBe('');
    expect(line).toBe('true');
  });

  it.each([
    ['path', 'polluted-cgroup', `{ cgroup: {} }`],
    ['hostname', 'polluted', `{ flags: 'CLONE_NEWUTS|CLONE_NEWUSER', mapRootUser: true }`],
    ['deny', ['uname'], `{ seccomp: {} }`],
    // What the addon reads from the plan JS hands it (uname is syscall 63).
    ['seccompDeny', [63], `{ rlimits: {} }`],
    ['domainname', 'polluted', `{ flags: 'CLONE_NEWUTS|CLONE_NEWUSER', mapRootUser: true }`],
    ['action', 'kill', `{ seccomp: { deny: ['getpid'] } }`],
    ['namespaces', ['net'], `{ enter: { target: process.pid } }`],
    [
      'readOnly',
      true,
      `{ flags: 'CLONE_NEWNS', mounts: [{ source: '/tmp', target: '/mnt', type: 'bind' }] }`,
    ],
    [
      'size',
      1,
      `{ flags: 'CLONE_NEWUSER', uidMap: [{ containerId: 0, hostId: 0 }], gidMap: [{ containerId: 0, hostId: 0, size: 1 }] }`,
    ],
  ])('Object.prototype.%s does not fill in a nested option', (key, value, options) => {
    const { line } = lastLineOf(`
      (async () => {
        const call = () => lib.run('/bin/sh', ['-c', 'uname -n; cat /proc/sys/kernel/domainname; sed "s/-[0-9]*$//" /proc/self/cgroup; touch /mnt/x 2>&1; echo $?'], ${options});
        const plain = await call().then((r) => JSON.stringify([r.stdout, r.stderr, r.exitCode]), (e) => e.code ?? String(e));
        Object.prototype[${JSON.stringify(key)}] = ${JSON.stringify(value)};
        const after = await call().then((r) => JSON.stringify([r.stdout, r.stderr, r.exitCode]), (e) => e.code ?? String(e));
        delete Object.prototype[${JSON.stringify(key)}];
        console.log(JSON.stringify(plain === after ? 'same' : [plain, after]));
      })();`);
    expect(line).toBe('"same"');
  });
});
