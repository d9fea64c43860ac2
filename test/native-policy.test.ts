// native/policy.h is generated from lib/policy.ts and lib/namespaces.ts,
// and the addon refuses what it needs refused at its boundary as a coded
// programming error before cloning, never as a kernel EINVAL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers';

describe('native/policy.h', () => {
  it('is what scripts/generate-native-policy.js writes from the compiled policy today', () => {
    const dir = mkdtempSync(join(tmpdir(), 'native-policy-'));
    try {
      const out = join(dir, 'policy.h');
      const run = spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'generate-native-policy.js'), out],
        {
          encoding: 'utf8',
        },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(
        readFileSync(join(ROOT, 'native', 'policy.h'), 'utf8'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The addon called directly, as a caller that went around JS would.
function direct(body: string): unknown {
  const script = `
    const addon = require('node-gyp-build')(${JSON.stringify(ROOT)});
    addon.setErrorFactory((errno, syscall) => Object.assign(new Error(syscall), { code: 'CLONE', errno, syscall }));
    const shape = (f) => { try { f(); return 'no error'; } catch (e) { return { type: e.constructor.name, code: e.code, syscall: e.syscall }; } };
    const spawnPlan = (extra) => ({ file: '/bin/true', argv: ['true'], envp: [], stdio: [], flags: 0x1000n, exitSignal: 17, pdeathsig: 0, setsid: false, ...extra });
    const taskPlan = (extra) => {
      // Packed in the addon's order, the flags as two 32-bit halves.
      const plan = { kind: 3, arg: 0, fault: 0, fd: 0, start: 0, end: 0, flags: 0x1000n, exitSignal: 17, stackSize: 65536, ...extra };
      const halves = { flagsLow: Number(plan.flags & 0xffffffffn), flagsHigh: Number(plan.flags >> 32n) };
      return Float64Array.from(addon.taskPlanFields, (name) => halves[name] ?? plan[name] ?? 0);
    };
    console.log(JSON.stringify((${body})()));`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as unknown;
}

const refused = { type: 'RangeError', code: 'ERR_INVALID_CLONE_FLAGS' };

describe('the addon’s boundary', () => {
  it('refuses an exec child’s flags that would change Node as a coded RangeError', () => {
    // CLONE_THREAD, CLONE_SIGHAND|CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_SETTLS
    const flags = ['0x10900n', '0x900n', '0x400n', '0x200n', '0x80000n'];
    expect(
      direct(
        `() => [${flags.map((f) => `shape(() => addon.spawn(spawnPlan({ flags: 0x1000n | ${f} }), () => {}))`).join(', ')}]`,
      ),
    ).toEqual(flags.map(() => refused));
  });

  it('passes exactly the bits it is given: an exec child without CLONE_PIDFD is refused, not patched', () => {
    expect(direct(`() => shape(() => addon.spawn(spawnPlan({ flags: 0n }), () => {}))`)).toEqual(
      refused,
    );
    expect(
      direct(
        // The handle's flags (slot 31) and the exit's code (slot 1) come in
        // addon.fields (native/handle_fields.h).
        `() => { const child = addon.spawn(spawnPlan({}), () => {}); const flags = new BigUint64Array(addon.fields.buffer)[31]; child.waitSync(); return [flags.toString(16), addon.fields[1]]; }`,
      ),
    ).toEqual(['1000', 0]);
  });

  it('refuses a vfork for a child that waits for its id maps, before cloning', () => {
    const container = `{ enterPidfd: -1, enterTypes: 0, cgroupFd: -1, uidMap: '0 0 1' }`;
    expect(
      direct(
        `() => shape(() => addon.spawn(spawnPlan({ flags: 0x10005100n, container: ${container} }), () => {}))`,
      ),
    ).toEqual(refused);
  });

  it('refuses more stdio slots than the policy allows as ERR_OUT_OF_RANGE, a RangeError', () => {
    expect(
      direct(
        `() => shape(() => addon.spawn(spawnPlan({ stdio: Array(1025).fill('close') }), () => {}))`,
      ),
    ).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(
      direct(`() => shape(() => addon.cloneTask(taskPlan({ arg: 2 ** 40 }), () => {}))`),
    ).toEqual({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  });

  it('refuses the unsafe task flags as the same RangeError JS throws', () => {
    expect(
      direct(`() => [
        shape(() => addon.cloneTask(taskPlan({ kind: 7, fault: 1, flags: 0x1900n }), () => {})),
        shape(() => addon.cloneTask(taskPlan({ flags: 0x10900n, exitSignal: 0 }), () => {})),
        shape(() => addon.cloneTask(taskPlan({ flags: 0n }), () => {})),
        // CLONE_PIDFD | CLONE_VM | CLONE_SIGHAND | CLONE_NEWPID (test/pid-init-handlers.test.ts)
        shape(() => addon.cloneTask(taskPlan({ flags: 0x20001900n }), () => {})),
      ]`),
    ).toEqual([refused, refused, refused, refused]);
  });

  it('checks a semaphore id before semctl, so no other program’s set can be read or removed', () => {
    expect(
      direct(`() => [
        shape(() => addon.probeSupport.semaphoreRemove('0')),
        shape(() => addon.probeSupport.semaphoreRemove(-1)),
        shape(() => addon.probeSupport.semaphoreValue(1.5)),
      ]`),
    ).toEqual([
      { type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' },
      { type: 'RangeError', code: 'ERR_OUT_OF_RANGE' },
      { type: 'RangeError', code: 'ERR_OUT_OF_RANGE' },
    ]);
  });
});
