// The GitHub workflows parse, and say what the project promises: CI runs
// .ci/run with privileges and checks the glibc floor; tags build, check and
// attach the prebuilds.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { itWith, ROOT } from './helpers';

type Workflow = {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; steps: Array<{ run?: string; uses?: string }> }>;
};

function workflow(name: string): Workflow {
  return parse(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8'), {
    strict: true,
    uniqueKeys: true,
  }) as Workflow;
}

const runs = (w: Workflow) =>
  Object.values(w.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));

describe('workflows', () => {
  it('ci.yml runs .ci/run as root on pushes and pull requests, and checks the glibc floor', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(runs(ci)).toContainEqual(expect.stringMatching(/^sudo .*bash \.ci\/run$/));
    expect(runs(ci)).toContainEqual(expect.stringContaining('scripts/check-glibc.sh'));
  });

  it('prebuild.yml builds on tags, checks the glibc floor and attaches the prebuilds', () => {
    const prebuild = workflow('prebuild.yml');
    expect(prebuild.on).toEqual({ push: { tags: ['v*'] } });
    const steps = runs(prebuild);
    expect(steps).toContain('npm run prebuild');
    expect(steps).toContainEqual(
      expect.stringContaining('scripts/check-glibc.sh prebuilds/linux-x64/'),
    );
    expect(Object.values(prebuild.jobs).flatMap((j) => j.steps.map((s) => s.uses))).toContainEqual(
      expect.stringMatching(/^softprops\/action-gh-release@/),
    );
  });

  itWith('objdump')('the glibc floor check passes on this build and fails above it', () => {
    const addon = join(ROOT, 'build', 'Release', 'linux_clone.node');
    expect(
      execFileSync('bash', [join(ROOT, 'scripts', 'check-glibc.sh'), addon, '2.28'], {
        encoding: 'utf8',
      }),
    ).toMatch(/needs glibc 2\.\d+/);
    expect(() =>
      execFileSync('bash', [join(ROOT, 'scripts', 'check-glibc.sh'), addon, '2.2'], {
        stdio: 'pipe',
      }),
    ).toThrow();
  });
});
