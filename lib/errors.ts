// The JS-side refusals: TypeErrors and RangeErrors with an `ERR_*` code, as
// Node's own argument errors have, and the AbortError.

/** A JS-side refusal: a TypeError or RangeError with an `ERR_*` code. */
export type CodedError<E extends Error = Error> = E & {
  /** The `ERR_*` code, as Node's own errors have. */
  code: string;
};

export function codedError<E extends Error>(error: E, code: string): CodedError<E> {
  return Object.assign(error, { code });
}

export function invalidType(name: string, expected: string, value: unknown): CodedError<TypeError> {
  return codedError(
    new TypeError(`${name} must be ${expected}, got ${describe(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidValue(name: string, reason: string, value: unknown): CodedError<TypeError> {
  return codedError(
    new TypeError(`${name} ${reason}, got ${describe(value)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function outOfRange(name: string, range: string, value: unknown): CodedError<RangeError> {
  return codedError(
    new RangeError(`${name} must be ${range}, got ${describe(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** A method or getter of `className` called on an object its constructor did not make (a Proxy, Object.create). */
export function invalidThis(className: string, member: string): CodedError<TypeError> {
  return codedError(
    new TypeError(
      `${className}.prototype.${member} needs a ${className} made by the library as this`,
    ),
    'ERR_INVALID_THIS',
  );
}

/** An AbortError as Node makes them: name 'AbortError', code 'ABORT_ERR'. */
export function abortError(reason: unknown): CodedError<Error> {
  const error = codedError(new Error('The operation was aborted', { cause: reason }), 'ABORT_ERR');
  error.name = 'AbortError';
  return error;
}

/**
 * A short description of a refused value for the message. The value is the
 * caller's and may be hostile: reading its `constructor` may run a getter
 * or a Proxy trap that throws, and a revoked Proxy throws on any look. None
 * of that may replace the coded refusal being made, so a value that cannot
 * be looked at is described as such.
 */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  try {
    if (Array.isArray(value)) return 'an array';
    const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `an instance of ${typeof name === 'string' && name !== '' ? name : 'Object'}`;
  } catch {
    return 'an object that cannot be looked at';
  }
}
