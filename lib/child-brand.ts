// Which objects are Children the library made. The Child constructor marks
// each; the options' validation (plan ring, which cannot import Child) and
// Child's own methods ask. A Proxy around a Child, an object made from
// Child.prototype, or one shaped like a Child is not marked.
import { invalidThis } from './errors';

/** What `enter.target` borrows of a Child: its pid, and its pidfd while it is unreaped. */
export interface ChildLike {
  readonly pid: number;
  readonly pidfd: number | null;
}

const made = new WeakSet<object>();

/** @internal The Child constructor marks each Child it makes. */
export function markChild(child: ChildLike): void {
  made.add(child);
}

/** Whether `value` is a Child the library made. */
export function isChild(value: unknown): value is ChildLike {
  return typeof value === 'object' && value !== null && made.has(value);
}

/** Throws ERR_INVALID_THIS when a Child method or getter is called on anything but a Child. */
export function checkChildThis(value: unknown, member: string): void {
  if (!isChild(value)) throw invalidThis('Child', member);
}
