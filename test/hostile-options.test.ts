// Issue 14, the adversarial suite for options: every option of spawn, run
// and clone, top-level and nested, and their positional arguments (and the
// arguments of Child.wait and kill, tasks.sumArray and explain), given
// hostile values: a getter whose second answer differs, getters and Proxies
// that throw, a pass-through Proxy, a revoked Proxy, a sparse array of
// length 2^32-1, wrong types and a 10 MB string. The campaign runs in a Node
// of its own (test/drivers/hostile-options.js), so a crash or a hang fails
// this test instead of ending jest.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { DIST } from './helpers';

interface Outcome {
  entry: string;
  path: string;
  kind: string;
  /** 'ran', 'caller' (the caller's own exception, by identity), 'coded CODE' or 'UNCODED …'. */
  outcome: string;
  ms: number;
  /** Children the addon cloned during the call. */
  clones: number;
  /** How many times the changing getter was read. */
  reads: number;
}

interface Report {
  outcomes: Outcome[];
  before: { fds: number };
  after: { fds: number };
  zombies: number;
}

/** Generous: a call is refused in microseconds, or runs `true` in milliseconds; never seconds. */
const SLOW_MS = 5000;

let report: Report;

beforeAll(() => {
  const result = spawnSync(process.execPath, [join(__dirname, 'drivers', 'hostile-options.js')], {
    encoding: 'utf8',
    env: { ...process.env, LINUX_CLONE_DIST: DIST },
    timeout: 300_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0 || result.stderr !== '')
    throw new Error(
      `the campaign's Node ended with ${result.signal ?? result.status}:\n${result.stderr}`,
    );
  report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Report;
}, 320_000);

const where = (o: Outcome) => `${o.entry} ${o.path} ${o.kind}: ${o.outcome}`;
const ofKind = (...kinds: string[]) => report.outcomes.filter((o) => kinds.includes(o.kind));

describe('hostile option values (issue 14, adversarial suite)', () => {
  it('covers every option with every kind', () => {
    expect(report.outcomes.length).toBeGreaterThan(2000);
    for (const entry of [
      'spawn',
      'run',
      'clone',
      'cloneSync',
      'wait',
      'kill',
      'sumArray',
      'explain',
    ])
      expect(report.outcomes.some((o) => o.entry === entry)).toBe(true);
  });

  it('every refusal is coded or is the caller’s own exception: nothing uncoded comes from the library', () => {
    expect(report.outcomes.filter((o) => o.outcome.startsWith('UNCODED')).map(where)).toEqual([]);
  });

  it('a getter or Proxy trap that throws reaches the caller unchanged, and nothing is cloned', () => {
    // Every option is read, so a throwing getter is always reached.
    expect(
      ofKind('throwingGetter')
        .filter((o) => o.outcome !== 'caller')
        .map(where),
    ).toEqual([]);
    const proxies = ofKind('throwingProxy', 'throwingArrayProxy', 'throwingFunctionProxy');
    expect(
      proxies
        .filter((o) => o.outcome !== 'caller' && !o.outcome.startsWith('coded ERR_'))
        .map(where),
    ).toEqual([]);
    expect(proxies.some((o) => o.outcome === 'caller')).toBe(true);
    // (wait and kill are called on a child the campaign made first.)
    const refused = report.outcomes.filter(
      (o) =>
        !['wait', 'kill'].includes(o.entry) &&
        (o.outcome === 'caller' || o.outcome.startsWith('coded ERR_')),
    );
    expect(refused.filter((o) => o.clones !== 0).map(where)).toEqual([]);
  });

  it('describing a refused value runs none of its traps into the error: a throwing constructor getter or a revoked Proxy is refused coded', () => {
    expect(
      ofKind('throwingConstructor')
        .filter((o) => o.outcome === 'caller')
        .map(where),
    ).toEqual([]);
    expect(
      ofKind('revokedProxy')
        .filter((o) => o.outcome !== 'coded ERR_INVALID_ARG_TYPE')
        .map(where),
    ).toEqual([]);
  });

  it('a pass-through Proxy and a getter whose second answer differs act as the plain value, read once', () => {
    const valid = new Map(ofKind('valid').map((o) => [`${o.entry} ${o.path}`, o.outcome]));
    // A Proxy of a typed array is not a typed array (ArrayBuffer.isView says
    // so, as Node's own APIs do): refused, coded.
    const proxyOfView = (o: Outcome) =>
      o.entry === 'sumArray' && o.path === 'view' && o.outcome === 'coded ERR_INVALID_ARG_TYPE';
    const differing = ofKind('passThroughProxy', 'changingGetter').filter(
      (o) => o.outcome !== valid.get(`${o.entry} ${o.path}`) && !proxyOfView(o),
    );
    expect(differing.map(where)).toEqual([]);
    expect(
      ofKind('changingGetter')
        .filter((o) => o.reads > 1)
        .map(where),
    ).toEqual([]);
    // Most valid calls run; those that cannot here (a cgroup controller the
    // host lacks, pivot_root of /) are refused coded, as checked above.
    expect(ofKind('valid').filter((o) => o.outcome === 'ran').length).toBeGreaterThan(100);
  });

  it('huge and sparse values are refused before any work: every call is fast', () => {
    expect(report.outcomes.filter((o) => o.ms > SLOW_MS).map(where)).toEqual([]);
    expect(
      ofKind('sparseArray')
        .filter((o) => !o.outcome.startsWith('coded ERR_'))
        .map(where),
    ).toEqual([]);
    // A 10 MB program name is not searched for along PATH, as execvp does not.
    expect(
      ofKind('hugeString')
        .filter((o) => o.path === 'file')
        .map((o) => `${o.entry} ${o.outcome}`),
    ).toEqual(['spawn', 'run', 'runSync'].map((entry) => `${entry} coded ENAMETOOLONG`));
  });

  it('leaves no fd and no zombie behind', () => {
    expect(report.after.fds).toBe(report.before.fds);
    expect(report.zombies).toBe(0);
  });
});
