// spawn(): a program started in a child made by clone3, from the spawn
// plan. Effect ring: it checks the exit signal against Node's dispositions,
// acquires the container's resources, and clones through the addon.
import { addon } from './binding';
import { Child, ExitLatch } from './child';
import { acquireContainer } from './container';
import { refuseUnsafeExitSignal } from './exit-signal';
import { planSpawn, type SpawnOptions, type SpawnPlan, splitArgs } from './spawn-plan';

/**
 * Starts `file` with `args` in a child made by clone3. Throws CloneError if
 * the clone or a step before exec fails (the child is then already reaped),
 * and a coded TypeError/RangeError for bad options, before anything is cloned.
 */
export function spawn(
  file: string,
  args?: readonly string[] | SpawnOptions,
  options?: SpawnOptions,
): Child {
  const [argList, rawOptions] = splitArgs(args, options);
  return spawnPlanned(planSpawn(file, argList, rawOptions ?? {}));
}

/** @internal Clones the child `plan` describes; spawn() and run() call it. */
export function spawnPlanned(plan: SpawnPlan): Child {
  refuseUnsafeExitSignal(plan.flags.exitSignalNumber);
  const binding = addon();
  if (plan.container === null) {
    const exit = new ExitLatch(binding.fields);
    return new Child(binding.spawn(plan.native, exit.onExit), exit);
  }
  // Resources last, once every option is known good: the cgroup and the
  // pidfd to enter. The fds close as soon as the child is cloned; the cgroup
  // goes after the reap, before wait() resolves.
  const resources = acquireContainer(plan.container);
  const exit = new ExitLatch(binding.fields, undefined, () => resources.cgroup?.remove());
  try {
    const handle = binding.spawn({ ...plan.native, container: resources.native }, exit.onExit);
    return new Child(handle, exit, resources.cgroup?.dir ?? null);
  } catch (error) {
    resources.cgroup?.removeSync();
    throw error;
  } finally {
    resources.releaseFds();
  }
}
