// A task plan crosses into the addon as one Float64Array of numbers (and
// the typed arrays a task reads beside it), not as an object the addon
// reads property by property: the two sides agree on the order, the addon
// runs no getter or trap of what it is handed, and checks every number.
import { clone, cloneSync, presets, tasks } from '../lib';
import { addon } from '../lib/binding';
import { packTaskPlan, TASK_PLAN_FIELDS } from '../lib/tasks';

const binding = addon();

/** A plan packed in the addon's order from named numbers (flags as a bigint), the rest 0. */
function packed(named: Record<string, number | bigint>): Float64Array {
  const { flags = 0x1000n, ...numbers } = { kind: 3, exitSignal: 17, stackSize: 65536, ...named };
  const halves: Record<string, number> = {
    flagsLow: Number(BigInt(flags) & 0xffffffffn),
    flagsHigh: Number(BigInt(flags) >> 32n),
  };
  return Float64Array.from(
    binding.taskPlanFields,
    (name) => halves[name] ?? Number((numbers as Record<string, number>)[name] ?? 0),
  );
}

function codeOf(call: () => unknown): unknown {
  try {
    const result = call() as { waitSync?: () => unknown } | undefined;
    result?.waitSync?.();
    return 'no error';
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
}

describe('the packed task plan', () => {
  it('has the same fields in the same order in JS and in the addon', () => {
    expect(binding.taskPlanFields).toEqual([...TASK_PLAN_FIELDS]);
  });

  it('puts each number at its field’s index, the flags as two exact 32-bit halves', () => {
    const marks = tasks.exit(0);
    const fields = packTaskPlan(marks, 0x2_0000_1100n, 17, 65536);
    const at = (name: (typeof TASK_PLAN_FIELDS)[number]) => fields[TASK_PLAN_FIELDS.indexOf(name)];
    expect([
      at('kind'),
      at('arg'),
      at('flagsLow'),
      at('flagsHigh'),
      at('exitSignal'),
      at('stackSize'),
    ]).toEqual([3, 0, 0x1100, 2, 17, 65536]);
    const sum = packTaskPlan(tasks.sumArray(new Int8Array(9), 2, 7), 0n, 0, 4096);
    expect([sum[TASK_PLAN_FIELDS.indexOf('start')], sum[TASK_PLAN_FIELDS.indexOf('end')]]).toEqual([
      2, 7,
    ]);
    expect(packTaskPlan(tasks.write(5, 'x'), 0n, 0, 4096)[TASK_PLAN_FIELDS.indexOf('fd')]).toBe(5);
    expect(packTaskPlan(tasks.fault('abort'), 0n, 0, 4096)[TASK_PLAN_FIELDS.indexOf('fault')]).toBe(
      3,
    );
    expect(packTaskPlan(tasks.sleep(12), 0n, 0, 4096)[TASK_PLAN_FIELDS.indexOf('arg')]).toBe(12);
  });

  it('carries every task kind through clone and cloneSync', () => {
    const view = new Uint16Array([1, 2, 3, 400]);
    expect(cloneSync(tasks.sumArray(view, 1, 3), { flags: presets.thread }).value).toBe(5);
    expect(clone(tasks.sumArray(view, 1), { flags: presets.thread }).waitSync().value).toBe(405);
    expect(cloneSync(tasks.exit(200)).exitCode).toBe(200);
    expect(cloneSync(tasks.fault('abort')).signal).toBe('SIGABRT');
  });

  it('is not read property by property: an object, a getter or a Proxy as the plan runs nothing and is refused', () => {
    let reads = 0;
    const trap = new Proxy(
      {},
      {
        get: () => (reads++, 0),
        has: () => (reads++, true),
        getOwnPropertyDescriptor: () => (
          reads++,
          { value: 0, configurable: true, enumerable: true }
        ),
        ownKeys: () => (reads++, []),
      },
    );
    const getters = Object.defineProperty({}, 'kind', {
      enumerable: true,
      get: () => (reads++, 3),
    });
    const notPacked = [
      trap,
      getters,
      { kind: 3, flags: 0x1000n, exitSignal: 17, stackSize: 65536 },
    ];
    for (const plan of notPacked) {
      expect(codeOf(() => binding.cloneTask(plan as never, () => {}))).toBe('ERR_INVALID_ARG_TYPE');
      expect(codeOf(() => binding.cloneTaskSync(plan as never))).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect(reads).toBe(0);
  });

  it('checks every number at the boundary: length, NaN, fractions, ranges, the flags’ halves', () => {
    const RANGE = 'ERR_OUT_OF_RANGE';
    const cases: Array<[Float64Array, string]> = [
      [new Float64Array(TASK_PLAN_FIELDS.length - 1), 'ERR_INVALID_ARG_TYPE'],
      [new Float64Array(TASK_PLAN_FIELDS.length + 1), 'ERR_INVALID_ARG_TYPE'],
      [packed({ kind: NaN }), RANGE],
      [packed({ kind: 9 }), RANGE],
      [packed({ arg: 1.5 }), RANGE],
      [packed({ arg: Infinity }), RANGE],
      [packed({ fd: -1 }), RANGE],
      [packed({ exitSignal: 65 }), RANGE],
      [packed({ stackSize: 4095 }), RANGE],
      [packed({ flags: 2n ** 64n }), RANGE],
      [packed({ kind: 1, start: 2 ** 54 }), RANGE],
      [packed({ kind: 8, umask: 0o1000 }), 'ERR_INVALID_ARG_TYPE'], // no word given: refused first
    ];
    for (const [fields, code] of cases) {
      expect([fields.join(), codeOf(() => binding.cloneTaskSync(fields))]).toEqual([
        fields.join(),
        code,
      ]);
      expect([fields.join(), codeOf(() => binding.cloneTask(fields, () => {}))]).toEqual([
        fields.join(),
        code,
      ]);
    }
    // A sumArray plan without its view, and a write plan with a payload that is not bytes.
    expect(codeOf(() => binding.cloneTaskSync(packed({ kind: 1 })))).toBe('ERR_INVALID_ARG_TYPE');
    expect(
      codeOf(() => binding.cloneTaskSync(packed({ kind: 2 }), undefined, 'bytes' as never)),
    ).toBe('ERR_INVALID_ARG_TYPE');
    // The same plan, well formed, runs.
    expect(codeOf(() => binding.cloneTaskSync(packed({ arg: 5 })))).toBe('no error');
  });

  it('refuses a task tasks.* did not make (a copy or a forgery) before anything is cloned', () => {
    const real = tasks.exit(0);
    for (const forged of [
      { ...real },
      { kind: 'exit', plan: { ...real.plan } },
      Object.create(real),
    ]) {
      expect(codeOf(() => clone(forged as never))).toBe('ERR_INVALID_ARG_TYPE');
      expect(codeOf(() => cloneSync(forged as never))).toBe('ERR_INVALID_ARG_TYPE');
    }
  });
});
