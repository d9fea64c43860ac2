// The container plan's resources, acquired last, once every option is known
// good: the pidfd of the process whose namespaces the child enters, and the
// cgroup it starts in. Effect ring: it opens pidfds through the addon and
// makes cgroup directories.
import { closeSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';

import type { NativeContainerPlan } from './addon-types';
import { addon } from './binding';
import { type ChildCgroup, createCgroup } from './cgroup';
import { makeSystemError } from './clone-error';
import {
  type ContainerPlan,
  type EnterPlan,
  namespaceFlag,
  type NamespaceName,
} from './container-plan';
import { FLAG_BITS } from './flags';

/** What acquireContainer() got: the native plan with its resources, and how to give them back. */
export interface ContainerResources {
  /** The plan with enterPidfd, enterTypes and cgroupFd set. */
  readonly native: NativeContainerPlan;
  /** The cgroup made for the child: cgroup.remove() after the reap, removeSync() if the clone failed. */
  readonly cgroup: ChildCgroup | null;
  /** Closes the fds acquireContainer() opened, once the child is cloned; the cgroup itself stays. */
  releaseFds(): void;
}

/**
 * The inode of a task's namespace, which names it: a pid's, Node's ('self')
 * or the calling thread's ('thread-self'); undefined once the task is gone.
 */
export function namespaceInode(
  task: number | 'self' | 'thread-self',
  name: NamespaceName,
): number | undefined {
  try {
    return statSync(`/proc/${task}/ns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/**
 * The inode of the target's namespace. Only a vanished entry means the
 * target is gone (ESRCH); any other failure, such as EACCES for a process
 * this user may not look into, is reported as the stat's own error.
 */
function targetNamespaceInode(pid: number, name: NamespaceName): number {
  const path = `/proc/${pid}/ns/${name}`;
  try {
    return statSync(path).ino;
  } catch (error) {
    const { code, errno } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ESRCH' || typeof errno !== 'number')
      throw makeSystemError(-osConstants.errno.ESRCH, 'setns', path);
    throw makeSystemError(errno, 'stat', path);
  }
}

/** The CLONE_NEW* bits of the target's namespaces that differ from Node's. */
function enterTypes(pid: number, namespaces: readonly NamespaceName[]): number {
  let types = 0n;
  for (const name of namespaces) {
    const theirs = targetNamespaceInode(pid, name);
    if (theirs !== namespaceInode('self', name)) types |= FLAG_BITS[namespaceFlag(name)!];
  }
  return Number(types);
}

/** The pidfd to enter through: opened for a pid (ours to close), or a Child's own (borrowed). */
function enterPidfd(enter: EnterPlan): { fd: number; owned: boolean } {
  const { target } = enter;
  if (typeof target === 'number') return { fd: addon().pidfdOpen(target), owned: true };
  if (target.pidfd === null)
    throw makeSystemError(-osConstants.errno.ESRCH, 'setns', `/proc/${target.pid}`);
  return { fd: target.pidfd, owned: false };
}

/**
 * Opens the pidfd to enter and makes the cgroup the plan names. On failure
 * it leaves nothing behind; on success the caller calls releaseFds() once
 * the child is cloned.
 */
export function acquireContainer(plan: ContainerPlan): ContainerResources {
  const native: NativeContainerPlan = { ...plan.native };
  let pidfd: { fd: number; owned: boolean } | undefined;
  let cgroup: ChildCgroup | null = null;
  const releaseFds = () => {
    if (pidfd?.owned === true) closeSync(pidfd.fd);
    pidfd = undefined;
    cgroup?.closeFd();
  };
  if (plan.enter !== undefined) {
    const { target, namespaces } = plan.enter;
    native.enterTypes = enterTypes(typeof target === 'number' ? target : target.pid, namespaces);
    pidfd = enterPidfd(plan.enter);
    native.enterPidfd = pidfd.fd;
  }
  if (plan.cgroup !== undefined) {
    try {
      cgroup = createCgroup(plan.cgroup);
    } catch (error) {
      releaseFds();
      throw error;
    }
    native.cgroupFd = cgroup.fd;
  }
  return { native, cgroup, releaseFds };
}
