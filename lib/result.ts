/**
 * The one way a fallible function in lib/ answers: a value, or an error saying why. Errors are
 * values the caller inspects (a typed `kind`, a reason), never exceptions: an exception in lib/
 * is a bug, which the last line of defence logs (flagger.ts). Two things are not errors in this
 * sense: a parser that can only say "not one" answers `undefined` (there is no reason to give),
 * and a wait that a deadline ends throws AbortedError (deadline.ts), caught where the wait began,
 * as AbortSignal does in the platform.
 *
 * @example
 * function parsePort(text: string): Result<number, string> {
 *   const port = Number(text);
 *   return Number.isInteger(port) && port > 0 ? ok(port) : err(`${text} is not a port`);
 * }
 */
export type Result<T, E> = Ok<T> | Err<E>;
export type Ok<T> = { ok: true; value: T };
export type Err<E> = { ok: false; error: E };

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}
