// The `cgroup` option, validated and turned into the limit files to write.
// Plan ring: cgroup.ts makes the directory and writes them.
import type { CodedError } from './errors';
import { invalidValue } from './errors';
import { validateInteger, validateKeys, validateObject, validateString } from './validate';

/** The `cgroup` option: a cgroup v2 made for one child, with its limits. */
export interface CgroupOptions {
  /**
   * The cgroup to create. An absolute path is within the v2 hierarchy
   * ('/ci/job-1'); a relative one is under Node's own cgroup. Its parent must
   * exist and it must not. Default: `linux-clone-<pid>-<n>` under Node's cgroup.
   */
  path?: string;
  /** memory.max in bytes, or 'max'. Needs the memory controller in the v2 hierarchy. */
  memoryMax?: number | 'max';
  /** pids.max: how many tasks the cgroup may hold, or 'max'. Needs the pids controller. */
  pidsMax?: number | 'max';
  /** cpu.max: `quota` µs of CPU per `period` µs (default 100000), or 'max'. Needs the cpu controller. */
  cpuMax?:
    | {
        /** µs of CPU per period, or 'max'. */
        quota: number | 'max';
        /** The period in µs; default 100000. */
        period?: number;
      }
    | 'max';
}

/** The error for a limit whose controller the v2 hierarchy lacks. */
export type ControllerMissingError = CodedError<Error> & {
  /** The controller the limit needs: 'memory', 'pids' or 'cpu'. */
  controller: string;
};

/** One limit file of a cgroup, and the controller it needs. */
export interface LimitFile {
  /** 'memory', 'pids' or 'cpu'. */
  readonly controller: string;
  /** The file: 'memory.max', … */
  readonly file: string;
  /** What to write. */
  readonly value: string;
}

const CGROUP_KEYS = ['path', 'memoryMax', 'pidsMax', 'cpuMax'];

function limitValue(name: string, value: unknown, min: number): string {
  if (value === 'max') return 'max';
  return String(validateInteger(name, value, min, Number.MAX_SAFE_INTEGER));
}

/** The limit files to write, validated, in the order to write them. */
function limitFiles(options: Record<string, unknown>): LimitFile[] {
  const files: LimitFile[] = [];
  if (options.memoryMax !== undefined)
    files.push({
      controller: 'memory',
      file: 'memory.max',
      value: limitValue('options.cgroup.memoryMax', options.memoryMax, 0),
    });
  if (options.pidsMax !== undefined)
    files.push({
      controller: 'pids',
      file: 'pids.max',
      value: limitValue('options.cgroup.pidsMax', options.pidsMax, 0),
    });
  if (options.cpuMax !== undefined) {
    let value: string;
    if (options.cpuMax === 'max') value = 'max';
    else {
      const cpu = validateObject('options.cgroup.cpuMax', options.cpuMax);
      const quota = limitValue('options.cgroup.cpuMax.quota', cpu.quota, 1000);
      const period =
        cpu.period === undefined
          ? 100000
          : validateInteger('options.cgroup.cpuMax.period', cpu.period, 1000, 1000000);
      value = `${quota} ${period}`;
    }
    files.push({ controller: 'cpu', file: 'cpu.max', value });
  }
  return files;
}

/** The cgroup to make for a child: where, and the limit files to write. */
export interface CgroupPlan {
  /** The `path` option, validated; undefined for a generated name. */
  readonly path: string | undefined;
  /** The limits, in the order to write them. */
  readonly files: readonly LimitFile[];
}

/** Validates the option and plans the cgroup; throws a coded error before anything is made. */
export function planCgroup(value: unknown): CgroupPlan {
  const options = validateObject('options.cgroup', value);
  validateKeys('options.cgroup', options, CGROUP_KEYS);
  let path: string | undefined;
  if (options.path !== undefined) {
    path = validateString('options.cgroup.path', options.path);
    const parts = path.split('/').filter((part) => part !== '');
    if (parts.length === 0 || parts.some((part) => part === '.' || part === '..')) {
      throw invalidValue(
        'options.cgroup.path',
        'must name a cgroup, without "." or ".." parts',
        path,
      );
    }
  }
  return { path, files: limitFiles(options) };
}
