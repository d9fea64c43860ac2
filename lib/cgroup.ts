// Cgroup v2 for spawn's `cgroup` option: find the v2 hierarchy, make a child
// cgroup with the limits cgroup-options.ts validated, hand its directory fd
// to CLONE_INTO_CGROUP, and remove it after the reap. Cgroup v1 hierarchies
// are never touched. Effect ring.
import {
  closeSync,
  constants as fsConstants,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, posix } from 'node:path';

import { addon } from './binding';
import type { CgroupPlan, ControllerMissingError, LimitFile } from './cgroup-options';
import { makeSystemError } from './clone-error';
import { codedError } from './errors';

/** A cgroup made for one child. */
export interface ChildCgroup {
  /** Its directory. */
  readonly dir: string;
  /** An O_DIRECTORY fd for CLONE_INTO_CGROUP; close it once the child is cloned. */
  readonly fd: number;
  closeFd(): void;
  /** Removes the cgroup once its child is reaped; any process left in it is killed first. */
  remove(): Promise<void>;
  /** The same, now: for a child that never ran. */
  removeSync(): void;
}

const LIVE = new Set<ChildCgroup>();
let sequence = 0;
let exitHookInstalled = false;

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/** Where the cgroup v2 hierarchy is mounted, and the cgroup path its root shows; null if it is not. */
export function findCgroup2Mount(
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
): { mountPoint: string; root: string } | null {
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (after === undefined || after.split(' ')[0] !== 'cgroup2') continue;
    const fields = before.split(' ');
    return { root: unescapeMountPath(fields[3]), mountPoint: unescapeMountPath(fields[4]) };
  }
  return null;
}

/** Node's own cgroup v2 directory: the "0::" line of /proc/self/cgroup, under the mount. */
function ownCgroupDir(mount: { mountPoint: string; root: string }): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (line === undefined)
    throw codedError(
      new Error('Node is in no cgroup v2 (no "0::" line in /proc/self/cgroup)'),
      'ERR_CGROUP_V2_UNAVAILABLE',
    );
  const path = line.slice(3);
  const relative = mount.root === '/' ? path : posix.relative(mount.root, path);
  return join(mount.mountPoint, relative);
}

function controllerMissing(controller: string, dir: string): ControllerMissingError {
  const error = codedError(
    new Error(
      `the cgroup v2 hierarchy has no "${controller}" controller at ${dir} (on a hybrid host it may belong to cgroup v1, which linux-clone never touches)`,
    ),
    'ERR_CGROUP_CONTROLLER_MISSING',
  );
  return Object.assign(error, { controller });
}

function words(file: string): string[] {
  return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
}

function systemError(error: unknown, syscall: string, path: string): Error {
  const errno = (error as NodeJS.ErrnoException).errno;
  return typeof errno === 'number' ? makeSystemError(errno, syscall, path) : (error as Error);
}

/** The controllers a limit needs that `parent` does not give its children yet are enabled, or a coded error says which is missing. */
function enableControllers(parent: string, controllers: string[]): void {
  if (controllers.length === 0) return;
  const available = words(join(parent, 'cgroup.controllers'));
  for (const controller of controllers)
    if (!available.includes(controller)) throw controllerMissing(controller, parent);
  const enabled = words(join(parent, 'cgroup.subtree_control'));
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  const file = join(parent, 'cgroup.subtree_control');
  try {
    writeFileSync(file, missing.map((c) => `+${c}`).join(' '));
  } catch (error) {
    throw systemError(error, 'write', file);
  }
}

/** Kills whatever is left in `dir` (cgroup.kill, Linux 5.14) and removes it; false while it is still busy. */
function tryRemove(dir: string, kill: boolean): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code !== 'EBUSY') throw error;
    if (kill) {
      try {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
      } catch {
        // Before 5.14 there is no cgroup.kill; what is left must end on its own.
      }
    }
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Listeners of 'exit' run in the order they were added. The addon's
  // (binding.ts: kill and reap every child still running) is added when it
  // loads, so it is loaded first here: its children are gone by the time
  // this removes their cgroups, and cgroup.kill is left only for their
  // descendants.
  addon();
  process.once('exit', () => {
    for (const cgroup of LIVE) cgroup.removeSync();
  });
}

/** The cgroup v2 mount and the directory of the cgroup `path` names; a coded error without v2. */
function cgroupDir(path: string | undefined): string {
  const mount = findCgroup2Mount();
  if (mount === null) {
    throw codedError(
      new Error('no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo)'),
      'ERR_CGROUP_V2_UNAVAILABLE',
    );
  }
  const own = ownCgroupDir(mount);
  const name = path ?? `linux-clone-${process.pid}-${++sequence}`;
  return isAbsolute(name) ? join(mount.mountPoint, name) : join(own, name);
}

/** Makes `dir`, writes its limits and opens it; removes it again if any step fails. */
function makeCgroupDir(dir: string, files: readonly LimitFile[]): number {
  try {
    mkdirSync(dir);
  } catch (error) {
    throw systemError(error, 'mkdir', dir);
  }
  try {
    for (const { file, value } of files) {
      try {
        writeFileSync(join(dir, file), value);
      } catch (error) {
        throw systemError(error, 'write', join(dir, file));
      }
    }
    return openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
}

/** The handle of a made cgroup: its fd until closeFd(), its removal after the reap. */
function childCgroup(dir: string, openFd: number): ChildCgroup {
  let fd = openFd;
  const cgroup: ChildCgroup = {
    dir,
    fd,
    closeFd() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
    async remove() {
      // A reaped child has left its cgroup; a descendant it left running has
      // not, and is killed. Its exit is asynchronous, so look again a few times.
      for (let attempt = 0; attempt < 200; attempt++) {
        if (tryRemove(dir, attempt === 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      LIVE.delete(cgroup);
    },
    removeSync() {
      const deadline = Date.now() + 1000;
      let attempt = 0;
      while (!tryRemove(dir, attempt++ === 0) && Date.now() < deadline) {
        // Busy for at most a second: the killed processes' exits.
      }
      LIVE.delete(cgroup);
    },
  };
  return cgroup;
}

/** Creates the cgroup for one child. Throws a coded error, leaving nothing behind, when it cannot. */
export function createCgroup(plan: CgroupPlan): ChildCgroup {
  const dir = cgroupDir(plan.path);
  const { files } = plan;
  enableControllers(
    dirname(dir),
    files.map((f) => f.controller),
  );
  const cgroup = childCgroup(dir, makeCgroupDir(dir, files));
  LIVE.add(cgroup);
  installExitHook();
  return cgroup;
}
