// Issue 14, item 19: every ERR_OUT_OF_RANGE the addon throws is a
// RangeError, as the README's errors table says, whichever boundary check
// throws it: each one of native/ is reached here, through the public API
// where JS lets it through (a resizable buffer shrunk under a sumArray task)
// and by calling the addon directly elsewhere, as a caller that went around
// JS would.
import { spawnSync } from 'node:child_process';

import { DIST, ROOT } from './helpers';

/** Runs `body` in a Node of its own with `addon`, `lib` and the plan makers; its JSON result. */
function inNode(body: string): unknown {
  const script = `
    const lib = require(${JSON.stringify(DIST)});
    const addon = require('node-gyp-build')(${JSON.stringify(ROOT)});
    addon.setErrorFactory((errno, syscall) => Object.assign(new Error(syscall), { code: 'CLONE', errno, syscall }));
    const shape = (f) => { try { const r = f(); return 'returned ' + typeof r; } catch (e) { return { type: e.constructor.name, code: e.code }; } };
    const spawnPlan = (extra) => ({ file: '/bin/true', argv: ['true'], envp: [], stdio: [], flags: 0x1000n, exitSignal: 17, pdeathsig: 0, setsid: false, ...extra });
    const taskPlan = (extra) => {
      // Packed in the addon's order, the flags as two 32-bit halves.
      const plan = { kind: 3, arg: 0, fault: 0, fd: 0, start: 0, end: 0, flags: 0x1000n, exitSignal: 17, stackSize: 65536, ...extra };
      const halves = { flagsLow: Number(plan.flags & 0xffffffffn), flagsHigh: Number(plan.flags >> 32n) };
      return Float64Array.from(addon.taskPlanFields, (name) => halves[name] ?? plan[name] ?? 0);
    };
    const container = (extra) => ({ enterPidfd: -1, enterTypes: 0, cgroupFd: -1, ...extra });
    console.log(JSON.stringify((${body})()));`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as unknown;
}

const RANGE = { type: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

describe('the addon’s ERR_OUT_OF_RANGE is always a RangeError', () => {
  it('a resizable ArrayBuffer shrunk after tasks.sumArray is built', () => {
    expect(
      inNode(`() => ['thread', 'process'].map((preset) => {
        const buffer = new ArrayBuffer(64, { maxByteLength: 1024 });
        const task = lib.tasks.sumArray(new Int32Array(buffer));
        buffer.resize(8);
        return shape(() => lib.clone(task, { flags: lib.presets[preset] }).waitSync());
      })`),
    ).toEqual([RANGE, RANGE]);
  });

  it('each boundary check of a plan: integers, fds, slots, flags, stack, syscall numbers, semaphore ids', () => {
    const cases = [
      'addon.cloneTask(taskPlan({ exitSignal: 99 }), () => {})',
      'addon.cloneTask(taskPlan({ exitSignal: 1.5 }), () => {})',
      'addon.cloneTask(taskPlan({ stackSize: 1 }), () => {})',
      'addon.cloneTask(taskPlan({ stackSize: 65537 }), () => {})',
      'addon.cloneTask(taskPlan({ flags: 2n ** 64n }), () => {})',
      'addon.spawn(spawnPlan({ stdio: [-1] }), () => {})',
      "addon.spawn(spawnPlan({ stdio: new Array(5000).fill('ignore') }), () => {})",
      'addon.spawn(spawnPlan({ container: container({ seccompDeny: [5000] }) }), () => {})',
      'addon.spawn(spawnPlan({ container: container({ enterPidfd: 2 ** 40 }) }), () => {})',
      'addon.probeSupport.semaphoreValue(-1)',
      'addon.probeSupport.semaphoreRemove(2 ** 40)',
    ];
    expect(inNode(`() => [${cases.map((c) => `shape(() => ${c})`).join(', ')}]`)).toEqual(
      cases.map(() => RANGE),
    );
  });

  it('pidfdOpen refuses what is not a PID instead of wrapping 2^32+1 to pid 1', () => {
    expect(
      inNode(
        `() => [2 ** 32 + 1, 1.5, -1, 0, NaN].map((pid) => shape(() => addon.pidfdOpen(pid)))`,
      ),
    ).toEqual([RANGE, RANGE, RANGE, RANGE, RANGE]);
  });
});
