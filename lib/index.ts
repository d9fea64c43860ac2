// linux-clone: Linux's clone/clone3 for Node.js.
export { type Rusage, type TaskProbe } from './addon-types';
export { type CgroupOptions, type ControllerMissingError } from './cgroup-options';
export { Child, type ExitInfo, type WaitOptions } from './child';
export { clone, cloneSync, type CloneOptions } from './clone';
export { CloneError } from './clone-error';
export {
  type ContainerOptions,
  type IdMapping,
  type MountSpec,
  type NamespaceName,
  type RlimitName,
  type RlimitValue,
} from './container-plan';
export { type CodedError } from './errors';
export {
  explain,
  NAMESPACES,
  RESOURCES,
  type Namespace,
  type NamespaceSharing,
  type Resource,
  type Sharing,
  type SharingReport,
} from './explain';
export {
  CloneFlags,
  FLAG_BITS,
  FLAG_RULES,
  presets,
  type FlagName,
  type FlagRule,
  type FlagsLike,
  type FlagToken,
} from './flags';
export { run, type RunOptions, type RunResult } from './run';
export { probe } from './sharing-probe';
export { type SignalLike } from './signals';
export { spawn } from './spawn';
export { runSync, type RunSyncOptions } from './spawn-sync';
export { type SpawnOptions, type StdioSlot } from './spawn-plan';
export { tasks, type FaultKind, type NumericArray, type Task } from './tasks';
