// What Node's ChildProcess.prototype.spawn hands its process handle, after
// Node has normalized and validated it, translated into linux-clone's spawn
// arguments. Pure: the pipes' socketpairs are made by the caller.
import { constants } from 'node:os';

import { makeSystemError } from '../clone-error';
import type { SpawnOptions, StdioSlot } from '../spawn-plan';

const { EINVAL } = constants.errno;

/** One stdio entry as Node's getValidStdio leaves it. */
export interface NodeStdioEntry {
  type: string;
  /** 'inherit' and 'fd': the parent's fd the child gets at this slot. */
  fd?: number;
  /** 'pipe', 'overlapped' (ipc included): Node's Pipe handle, to open on our end; 'wrap': a stream handle. */
  handle?: NodePipeHandle;
  ipc?: boolean;
}

/** The part of Node's Pipe (and other stream) handles the adapter uses. */
export interface NodePipeHandle {
  open(fd: number): number | undefined;
  readonly fd?: number;
}

/** The options object ChildProcess.prototype.spawn received, as Node has completed it. */
export interface NodeSpawnRequest {
  file: string;
  /** args[0] is the program's argv[0]. */
  args?: readonly string[];
  cwd?: string | null;
  envPairs?: readonly string[];
  stdio: readonly NodeStdioEntry[];
  detached?: boolean;
  uid?: number;
  gid?: number;
}

/** Whether Node asks for a socketpair at this slot: 'pipe', 'overlapped' and 'ipc'. */
export function wantsPipe(entry: NodeStdioEntry): boolean {
  return entry.type === 'pipe' || entry.type === 'overlapped';
}

/**
 * The slot a stdio entry gives the child, `childEnd` being the child's end of
 * the entry's socketpair where it wants one. A stream handle without an fd
 * gives -1, which spawn refuses as a bad descriptor, as libuv does.
 */
function slotFor(entry: NodeStdioEntry, childEnd: number | undefined): StdioSlot {
  if (childEnd !== undefined) return childEnd;
  if (entry.type === 'ignore') return 'ignore';
  if (entry.type === 'wrap') return entry.handle?.fd ?? -1;
  return entry.fd ?? -1;
}

/** linux-clone's spawn(file, args, options) for a request, given the child ends of its pipes by slot. */
export function cloneSpawnArguments(
  request: NodeSpawnRequest,
  childEnds: ReadonlyMap<number, number>,
): { file: string; args: string[]; options: SpawnOptions } {
  // Node's Process handle takes each argument's string value, as libuv needs.
  const [argv0 = request.file, ...args] = (request.args ?? []).map(String);
  const options: SpawnOptions = {
    argv0,
    // Node's KEY=value strings, as libuv hands them to execve.
    env: request.envPairs ?? [],
    stdio: request.stdio.map((entry, slot) => slotFor(entry, childEnds.get(slot))),
    // Node leaves its children running when it exits; detached is a session of its own.
    killAtExit: false,
    setsid: request.detached === true,
  };
  // Node passes no cwd for '' (or none): the child starts in Node's.
  if (typeof request.cwd === 'string' && request.cwd !== '') options.cwd = request.cwd;
  for (const [name, id] of [
    ['uid', request.uid],
    ['gid', request.gid],
  ] as const) {
    if (id === undefined) continue;
    // Node passes any int32; a negative one is (uid_t)-1, which setuid/setgid refuse.
    if (id < 0) throw makeSystemError(-EINVAL, name === 'uid' ? 'setuid' : 'setgid');
    options[name] = id;
  }
  return { file: request.file, args, options };
}
