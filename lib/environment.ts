// The child's environment: the `env` option as KEY=value strings, or, when
// there is none and process.env is the process's own environment, nothing
// at all: the child's execve then reads the C library's `environ` in place,
// and the parent never walks process.env's getters nor re-encodes a string.
// Plan ring: it reads process.env and asks the engine, never the addon.
import { types } from 'node:util';
import { isMainThread } from 'node:worker_threads';

import { invalidValue } from './errors';
import { validateObject, validateString, validateStringArray } from './validate';

/** The environment spawn hands the child, and the PATH its program is looked for in. */
export interface ChildEnvironment {
  /**
   * KEY=value strings, or null for the process's own environment as the C
   * library holds it (environ), which the child's execve reads untouched.
   */
  readonly envp: string[] | null;
  /** The PATH of that environment, read only when called: a program named by a path needs none. */
  readonly path: () => string | undefined;
}

/** The verdict of the probe, per object: is it Node's interceptor over the process's environment? */
const verdicts = new WeakMap<object, boolean>();

/**
 * Whether `env` is Node's env object, whose every read and write goes to
 * the C library's environment (getenv, setenv, unsetenv) in the main
 * thread. A read-only probe: Node's env object refuses, with a coded
 * TypeError, to define a property without `writable` and `enumerable`, and
 * defines nothing; any other object defines it (deleted at once) or answers
 * false (a frozen or non-extensible one). A Proxy is never probed: that
 * would run the caller's trap.
 */
function hasNodeEnvInterceptor(env: object): boolean {
  if (types.isProxy(env)) return false;
  const probe = Symbol('linux-clone environment probe');
  try {
    if (Reflect.defineProperty(env, probe, { value: 1, configurable: true }))
      Reflect.deleteProperty(env, probe);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === 'ERR_INVALID_OBJECT_DEFINE_PROPERTY';
  }
}

/**
 * Whether `env` is the process's real environment: Node's env object in
 * the main thread. A Worker's has the same interceptor over a copy of its
 * own (or, with SHARE_ENV, over the real one, which it cannot tell apart),
 * so no worker takes this path; jest hands tests a plain copy, and a user
 * may assign process.env any object: those are walked as `env` would be.
 */
export function isProcessEnvironment(env: unknown): boolean {
  if (!isMainThread || env === null || typeof env !== 'object') return false;
  let verdict = verdicts.get(env);
  if (verdict === undefined) {
    verdict = hasNodeEnvInterceptor(env);
    verdicts.set(env, verdict);
  }
  return verdict;
}

/** The most strings an env array may hold: more than execve could ever accept (see MAX_ARGS). */
const MAX_ENV_STRINGS = 2 ** 20;

/** Array.isArray, false for a revoked Proxy (which validateObject then refuses, coded). */
function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** The value getenv would find in `envp` for `prefix` ("PATH="): the first entry's. */
function firstValue(envp: readonly string[], prefix: string): string | undefined {
  return envp.find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
}

/** `vars` as execve's KEY=value strings; entries whose value is undefined are left out. */
function envpOf(name: string, vars: object): string[] {
  const envp: string[] = [];
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    const text = validateString(`${name}[${JSON.stringify(key)}]`, value);
    if (key.includes('=') || key.includes('\0'))
      throw invalidValue(name, 'keys must not contain "=" or NUL', key);
    envp.push(`${key}=${text}`);
  }
  return envp;
}

/**
 * The child's environment from spawn's `env` option: an array of execve's
 * own KEY=value strings, passed as given (as posix_spawn's envp, so with no
 * re-encoding: child_process hands over what Node built); an object,
 * validated; without one, process.env, read once. The process's own
 * environment is handed over as it is (one getter read, PATH, and only
 * for a program looked up in it); any other object is walked as given.
 */
export function childEnvironment(option: unknown): ChildEnvironment {
  if (isArray(option)) {
    const envp = validateStringArray('options.env', option, MAX_ENV_STRINGS);
    return { envp, path: () => firstValue(envp, 'PATH=') };
  }
  if (option !== undefined) {
    const vars = validateObject('options.env', option);
    return { envp: envpOf('options.env', vars), path: () => vars.PATH as string | undefined };
  }
  const env = process.env as unknown;
  if (isProcessEnvironment(env)) {
    return { envp: null, path: () => (env as Record<string, string | undefined>).PATH };
  }
  const vars = env as Record<string, string | undefined>;
  return { envp: envpOf('options.env', vars), path: () => vars.PATH };
}
