// The shapes of the data that crosses between JS and the addon: the plans JS
// hands over and the exits the addon reports. Types only, so the plan ring
// can build plans without loading the addon.

export type NativeStdioSlot = 'pipe' | 'socket' | 'ignore' | 'close' | number;

/** The normalized spawn request the spawn plan hands to native/options.cc. */
export interface NativeSpawnPlan {
  file: string;
  argv: string[];
  /** KEY=value strings; null: the process's own environment (environ), which the child's execve reads in place. */
  envp: string[] | null;
  cwd?: string;
  /** 'pipe', 'socket' (a socketpair, as Node's pipes), 'ignore' (/dev/null), 'close', or a parent fd the child gets at that slot. */
  stdio: NativeStdioSlot[];
  /** Exactly the CLONE_* bits to pass, CLONE_PIDFD included. */
  flags: bigint;
  exitSignal: number;
  pdeathsig: number;
  setsid: boolean;
  /** false: the env's teardown leaves the child running; absent means true. */
  killAtExit?: boolean;
  /** setuid/setgid in the child (after setgroups(0)); absent: Node's own. */
  uid?: number;
  gid?: number;
  /** Namespace setup; absent for a plain process. */
  container?: NativeContainerPlan;
}

/** What native/spawn_sync.cc does with our end of one piped slot. */
export interface NativeSyncStream {
  /** Read what the child writes to it. */
  collect: boolean;
  /** Write this to it, then end our writing (the child reads EOF); absent: end it at once unless collecting. */
  input?: Uint8Array;
}

/** How spawnSync feeds, collects and limits the child (native/sync_io.h). */
export interface NativeSyncControls {
  /** Per stdio slot; an object for each 'pipe' or 'socket' slot. */
  streams: Array<NativeSyncStream | undefined>;
  /** Milliseconds before the child is sent `killSignal`; 0: none. */
  timeout: number;
  /** The most bytes collected; one more and the child is sent `killSignal`. Infinity: no cap. */
  maxBuffer: number;
  /** true: each stream counts alone (run's rule); false: their sum (child_process's). */
  maxBufferEach: boolean;
  killSignal: number;
}

/** What spawnSync returns once the child is reaped. */
export interface NativeSyncResult extends NativeExit {
  /** The flags passed to the kernel. */
  flags: bigint;
  /** Per stdio slot: what the child wrote, for a collected slot; else null. */
  output: Array<Buffer | null>;
  /** 0, or -errno: ETIMEDOUT, ENOBUFS, a failed kill; else a stream's error such as EPIPE. */
  error: number;
  timedOut: boolean;
  overflowed: boolean;
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
  /** getpid() again, under the name of the field it matches in /proc/PID/status: equals Node's pid for a CLONE_THREAD child. */
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

/** What the sharing probe's child reports from inside (native/tasks.h). */
export interface NativeSharingObservation {
  /** The Tgid line of the child's /proc/thread-self/status. */
  tgid: number;
  /** getppid(). */
  ppid: number;
  /** 0 when the child's semop (+1 with SEM_UNDO) succeeded, else its errno. */
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

/** The normalized task request clone.ts packs for native/task_plan.cc (tasks.ts's packTaskPlan). */
export interface NativeTaskPlan {
  kind: number;
  arg: number;
  fault: number;
  fd: number;
  start: number;
  end: number;
  data?: ArrayBufferView;
  payload?: Uint8Array;
  /** The sharing probe's marks (kind 8, see sharing-probe.ts). */
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
