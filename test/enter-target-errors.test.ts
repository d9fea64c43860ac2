// Issue 14, item 19: `enter` reports why the target's namespaces could not
// be read. A process this user may not look into (uid 65534 entering pid 1:
// /proc/1/ns is closed to it) is EACCES from the stat, with its own message,
// not ESRCH "the target process has exited".
import { spawnSync } from 'node:child_process';

import { itWith, unprivilegedRuntime } from './helpers';

describe('enter: the target namespaces that cannot be read', () => {
  itWith('setpriv')(
    'uid 65534 entering pid 1 gets EACCES from the stat of /proc/1/ns, and nothing runs',
    () => {
      const runtime = unprivilegedRuntime();
      const script = `const lib = require(${JSON.stringify(runtime.dist)});
lib.run('true', [], { enter: { target: 1, namespaces: ['uts'] } }).then(
  () => console.log(JSON.stringify({ ran: true })),
  (e) => console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message })),
);`;
      const result = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', runtime.node, '-e', script],
        { cwd: runtime.cwd, encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.stderr).toBe('');
      const seen = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(seen).toMatchObject({
        name: 'CloneError',
        code: 'EACCES',
        errno: -13,
        syscall: 'stat',
        path: '/proc/1/ns/uts',
      });
      expect(seen.message).toMatch(/^EACCES: permission denied, stat '\/proc\/1\/ns\/uts'/);
      expect(seen.message).not.toMatch(/exited/);
    },
  );
});
