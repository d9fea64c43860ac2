// linux-clone: Linux's clone/clone3 for Node.js.
export {
  clone,
  tasks,
  type CloneOptions,
  type FaultKind,
  type NumericArray,
  type Task,
} from './clone';
export { type CgroupOptions, type ControllerMissingError } from './cgroup-options';
export {
  type ContainerOptions,
  type IdMapping,
  type MountSpec,
  type NamespaceName,
  type RlimitName,
  type RlimitValue,
} from './container-plan';
export { CloneError } from './clone-error';
export { type CodedError } from './errors';
export {
  explain,
  NAMESPACES,
  probe,
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
export {
  Child,
  run,
  spawn,
  type ExitInfo,
  type RunOptions,
  type RunResult,
  type Rusage,
  type SpawnOptions,
  type StdioSlot,
  type TaskProbe,
  type WaitOptions,
} from './spawn';
export { type SignalLike } from './signals';
