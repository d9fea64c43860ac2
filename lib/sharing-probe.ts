// probe(): what a flag set shares, measured. A real child cloned with the
// flags leaves a mark on each resource and reports what it sees; Node looks
// at its own side, puts everything back, and reports as explain() does.
// Effect ring: it clones, and changes Node's umask, fds, a signal
// disposition and a semaphore for the instant of the probe.
import { closeSync, fstatSync, openSync } from 'node:fs';

import type { NativeSharingObservation } from './addon-types';
import { addon, type NativeBinding } from './binding';
import type { ExitInfo } from './child';
import { clone, refuseFlags } from './clone';
import { namespaceInode } from './container';
import { codedError } from './errors';
import {
  type Namespace,
  type NamespaceSharing,
  type Resource,
  type Sharing,
  sharingReport,
  type SharingReport,
} from './explain';
import { CloneFlags, type FlagsLike } from './flags';
import { NAMESPACE_LIST } from './namespaces';
import { MAX_SIGNAL } from './signals';
import { sharingMarksTask } from './tasks';

/**
 * The signal whose disposition the child marks, which Node saves and puts
 * back: SIGRTMAX-1. A signal JS can listen to would lose any listener added
 * while a probe runs; Node takes no listener for a real-time signal, and
 * neither Node nor libuv uses this one (the library's own is SIGRTMAX, the
 * task cancel signal).
 */
const PROBE_SIGNAL = MAX_SIGNAL - 1;
const FIRST_PROBE_FD = 600;
/** What the child writes into the word of Node's memory it is given: "linux-cl". */
const MEMORY_MARK = 0x6c696e75782d636cn;

let queue: Promise<unknown> = Promise.resolve();

/** The lowest fd number >= `from` that is not open. */
function freeFd(from: number): number {
  for (let fd = from; ; fd++) if (!fdOpen(fd)) return fd;
}

function fdOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function probeFailed(message: string): Error {
  return codedError(new Error(message), 'ERR_PROBE_FAILED');
}

/** Node's side of one probe: the marks set up before the clone, read and undone after. */
class ProbeMarks {
  readonly word = new BigUint64Array(1); // Node's private memory; the child writes at this address
  readonly umask: number;
  readonly childUmask: number;
  readonly fdSource = openSync('/dev/null', 'r');
  readonly fdTarget = freeFd(FIRST_PROBE_FD);
  readonly dispositionBefore: number;
  semid = -1;

  constructor(private readonly support: NativeBinding['probeSupport']) {
    this.umask = process.umask(0o022);
    process.umask(this.umask);
    this.childUmask = this.umask ^ 0o070;
    this.dispositionBefore = support.saveDisposition(PROBE_SIGNAL);
  }

  /** The task that leaves the child's marks. */
  task() {
    this.semid = this.support.semaphoreCreate();
    return sharingMarksTask({
      word: new Uint8Array(this.word.buffer),
      umask: this.childUmask,
      fdSource: this.fdSource,
      fdTarget: this.fdTarget,
      semid: this.semid,
      signal: PROBE_SIGNAL,
    });
  }

  /** Which marks Node sees on its own side, with what the child reported. */
  resources(seen: NativeSharingObservation): Record<Resource, Sharing> {
    return {
      memory: this.word[0] === MEMORY_MARK ? 'shared' : 'copied',
      fsInfo: process.umask(this.umask) === this.childUmask ? 'shared' : 'copied',
      fdTable: fdOpen(this.fdTarget) ? 'shared' : 'copied',
      signalHandlers:
        this.support.currentDisposition(PROBE_SIGNAL) !== this.dispositionBefore
          ? 'shared'
          : 'copied',
      threadGroup: seen.tgid === process.pid ? 'shared' : 'copied',
      // A shared undo list outlives the child, so its +1 stays.
      sysvsem: this.support.semaphoreValue(this.semid) === 1 ? 'shared' : 'copied',
      parent: seen.ppid === process.pid ? 'copied' : 'shared',
    };
  }

  /** Puts back everything the child may have changed in Node. */
  undo(): void {
    process.umask(this.umask);
    if (fdOpen(this.fdTarget)) closeSync(this.fdTarget);
    closeSync(this.fdSource);
    this.support.restoreDisposition(PROBE_SIGNAL);
    if (this.semid >= 0) this.support.semaphoreRemove(this.semid);
  }
}

/** What the child reported; a coded error if it did not finish. */
function finished(exit: ExitInfo): NativeSharingObservation {
  const seen = exit.value as unknown as NativeSharingObservation | undefined;
  if (seen === undefined || exit.exitCode !== 0)
    throw probeFailed(`the probe child did not finish (${exit.signal ?? `exit ${exit.exitCode}`})`);
  return seen;
}

function namespaceSharing(seen: NativeSharingObservation): Record<Namespace, NamespaceSharing> {
  const namespaces = {} as Record<Namespace, NamespaceSharing>;
  NAMESPACE_LIST.forEach((ns, i) => {
    const ours = namespaceInode('thread-self', ns.name);
    namespaces[ns.name] = seen.nsInodes[i] === ours ? 'shared' : 'new';
  });
  return namespaces;
}

async function measure(flags: CloneFlags): Promise<SharingReport> {
  const marks = new ProbeMarks(addon().probeSupport);
  try {
    const child = clone(marks.task(), { flags, stackSize: 64 * 1024 });
    const seen = finished(await child.wait());
    const namespaces = namespaceSharing(seen);
    // In a new IPC namespace Node's semaphore does not exist (EINVAL), and
    // no undo list is shared across IPC namespaces: 'copied' is then what
    // the semaphore's unchanged value says. Any other failed semop leaves
    // the same value for another reason, so it is an error, not a report.
    if (seen.semopErrno !== 0 && namespaces.ipc !== 'new') {
      throw probeFailed(
        `the probe child's semop failed (errno ${seen.semopErrno}): whether the System V semaphore undo list is shared cannot be measured`,
      );
    }
    return sharingReport(flags, marks.resources(seen), namespaces);
  } finally {
    marks.undo();
  }
}

/**
 * What `flags` share, measured: a real child cloned with them leaves a mark
 * on each resource (a word in Node's memory, its umask, an fd, a signal
 * disposition, a semaphore with SEM_UNDO) and reports its thread group,
 * parent and namespace inodes; Node then looks at its own side and puts
 * everything back. Probes run one at a time. CLONE_PARENT is refused
 * without CLONE_THREAD: its child would belong to Node's parent.
 */
export function probe(flags: FlagsLike): Promise<SharingReport> {
  const f = CloneFlags.from(flags).check();
  refuseFlags('probe', f);
  const result = queue.then(() => measure(f));
  queue = result.catch(() => undefined);
  return result;
}
