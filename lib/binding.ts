// Loads the addon (a prebuild, else the local build) and describes it.
import { join } from 'node:path';

import { makeSystemError } from './errors';

export type NativeStdioSlot = 'pipe' | 'ignore' | 'close' | number;

/** The normalized spawn request spawn.ts hands to native/options.cc. */
export interface NativeSpawnPlan {
  file: string;
  argv: string[];
  envp: string[];
  cwd?: string;
  /** 'pipe', 'ignore' (/dev/null), 'close', or a parent fd the child gets at that slot. */
  stdio: NativeStdioSlot[];
  /** Exactly the CLONE_* bits to pass (native adds CLONE_PIDFD). */
  flags: bigint;
  exitSignal: number;
  pdeathsig: number;
  setsid: boolean;
  /** Namespace setup; absent for a plain process. */
  container?: NativeContainerPlan;
}

/** A mount the child makes: kind 1 bind, 2 tmpfs, 3 proc; `target` already under the new root. */
export interface NativeMount {
  kind: 1 | 2 | 3;
  source?: string;
  target: string;
  data?: string;
  readonly: boolean;
}

/** The container part of a spawn plan, as native/options.cc reads it. */
export interface NativeContainerPlan {
  /** A pidfd whose namespaces the child enters first (setns), or -1. */
  enterPidfd: number;
  /** The CLONE_NEW* bits to enter. */
  enterTypes: number;
  /** A cgroup directory fd for CLONE_INTO_CGROUP, or -1. */
  cgroupFd: number;
  /** Texts the parent writes to /proc/PID/ files while the child waits. */
  setgroups?: 'allow' | 'deny';
  uidMap?: string;
  gidMap?: string;
  /** timens_offsets lines; the child unshares its time namespace for them. */
  timeOffsets?: string;
  hostname?: string;
  domainname?: string;
  privateRoot?: boolean;
  rootfs?: string;
  mounts?: NativeMount[];
  loopbackUp?: boolean;
  rlimits?: Array<{ resource: number; soft: bigint; hard: bigint }>;
  noNewPrivs?: boolean;
  /** x86_64 syscall numbers that fail with EPERM. */
  seccompDeny?: number[];
}

/**
 * Resource usage of the reaped child from waitid, named as in
 * process.resourceUsage(); times in microseconds, maxRSS in KiB.
 */
export interface Rusage {
  /** CPU time in user mode, µs. */
  userCPUTime: number;
  /** CPU time in the kernel, µs. */
  systemCPUTime: number;
  /** Peak resident set, KiB. */
  maxRSS: number;
  /** Page faults served without I/O. */
  minorPageFault: number;
  /** Page faults that needed I/O. */
  majorPageFault: number;
  /** Blocks read by the file system. */
  fsRead: number;
  /** Blocks written by the file system. */
  fsWrite: number;
  /** Times the child gave up the CPU, waiting. */
  voluntaryContextSwitches: number;
  /** Times the child was preempted. */
  involuntaryContextSwitches: number;
}

/** What tasks.probe() reports from inside the child, as the kernel sees it. */
export interface TaskProbe {
  /** getpid(): the thread group's id. */
  pid: number;
  /** gettid(). */
  tid: number;
  /** The thread group id from /proc: equals Node's pid for a CLONE_THREAD child. */
  tgid: number;
  /** getppid(). */
  ppid: number;
  /** getuid(). */
  uid: number;
  /** getgid(). */
  gid: number;
  /** The child's fs base: its TCB with CLONE_SETTLS. */
  threadPointer: bigint;
  /** The child's stack pointer when the task ran: inside its mmap'd stack. */
  stackPointer: bigint;
}

export interface NativeSharingObservation {
  tgid: number;
  ppid: number;
  semopErrno: number;
  /** mnt, uts, ipc, user, pid, net, cgroup, time, as the child stat()s them. */
  nsInodes: number[];
}

export interface NativeExit {
  pid: number;
  exitCode: number | null;
  signal: number;
  coreDumped: boolean;
  rusage: Rusage;
  elapsedMs: number;
  /** Tasks only: whether kill() cancelled the task, and its result. */
  cancelled?: boolean;
  value?: number | bigint | TaskProbe | NativeSharingObservation;
}

/** The normalized task request clone.ts hands to native/options.cc. */
export interface NativeTaskPlan {
  kind: number;
  arg: number;
  fault: number;
  fd: number;
  start: number;
  end: number;
  data?: ArrayBufferView;
  payload?: Uint8Array;
  /** The sharing probe's marks (kind 8). */
  word?: Uint8Array;
  umask?: number;
  fdSource?: number;
  fdTarget?: number;
  semid?: number;
  signal?: number;
  /** Exactly the CLONE_* bits to pass. */
  flags: bigint;
  exitSignal: number;
  stackSize: number;
}

export interface NativeChildHandle {
  readonly pid: number;
  readonly pidfd: number | null;
  readonly flags: bigint;
  readonly exitSignal: number;
  readonly syscall: 'clone3' | 'clone';
  /** Exec children: our ends of the stdio pipes. */
  readonly stdio?: Array<number | null>;
  /** Task children with CLONE_SETTLS: the TCB's address. */
  readonly tls?: bigint;
  kill(signal: number): boolean;
  waitSync(): NativeExit;
  close(): void;
  setRef(ref: boolean): void;
}

export interface NativeBinding {
  spawn(plan: NativeSpawnPlan, onExit: (exit: NativeExit) => void): NativeChildHandle;
  cloneTask(plan: NativeTaskPlan, onExit: (exit: NativeExit) => void): NativeChildHandle;
  setErrorFactory(factory: typeof makeSystemError): void;
  clone3Unavailable(): boolean;
  /** Kills (SIGKILL) and reaps every child still running; for process exit. */
  teardown(): void;
  /** pidfd_open(pid, 0): a close-on-exec pidfd, or throws a CloneError. */
  pidfdOpen(pid: number): number;
  readonly pageSize: number;
  /** The parent's side of explain.ts's probe. */
  readonly probeSupport: {
    /** 0 default, 1 ignored, 2 a handler. */
    saveDisposition(signal: number): number;
    currentDisposition(signal: number): number;
    restoreDisposition(signal: number): void;
    semaphoreCreate(): number;
    semaphoreValue(id: number): number;
    semaphoreRemove(id: number): void;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

export const binding = load(join(__dirname, '..')) as NativeBinding;
binding.setErrorFactory(makeSystemError);
// Children still running when Node exits are killed and reaped. A normal
// exit or a worker's end runs the addon's env cleanup hook; process.exit()
// skips those hooks, but not this event.
process.once('exit', () => binding.teardown());
