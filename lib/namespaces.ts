// The namespaces, once: their /proc/PID/ns names, the clone flag that makes
// a new one, and the CLI switch that asks for it. Reports, the container
// plan, the CLI and the errors read this list, and
// scripts/generate-native-policy.js writes its order into native/policy.h
// for the sharing probe, which reports the child's inodes in this order.
import type { FlagName } from './flags';

/** Namespaces by the names /proc/PID/ns uses. */
export type NamespaceName = 'mnt' | 'uts' | 'ipc' | 'user' | 'pid' | 'net' | 'cgroup' | 'time';

/** One namespace kind. */
export interface NamespaceInfo {
  /** Its name in /proc/PID/ns. */
  readonly name: NamespaceName;
  /** The clone flag that makes a new one. */
  readonly flag: FlagName;
  /** The `linux-clone run` switch that asks for a new one. */
  readonly switch: string;
}

/** Every namespace kind, in the order reports show them. */
export const NAMESPACE_LIST: readonly NamespaceInfo[] = [
  { name: 'mnt', flag: 'NEWNS', switch: '--mount' },
  { name: 'uts', flag: 'NEWUTS', switch: '--uts' },
  { name: 'ipc', flag: 'NEWIPC', switch: '--ipc' },
  { name: 'user', flag: 'NEWUSER', switch: '--user' },
  { name: 'pid', flag: 'NEWPID', switch: '--pid' },
  { name: 'net', flag: 'NEWNET', switch: '--net' },
  { name: 'cgroup', flag: 'NEWCGROUP', switch: '--cgroup' },
  { name: 'time', flag: 'NEWTIME', switch: '--time' },
];
