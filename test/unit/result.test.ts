/**
 * The one result type of lib/: a value or an error, told apart by `ok` alone. Callers branch on
 * `ok` and read `value` or `error`; nothing else may be on either side, or a caller could read a
 * stale value next to an error.
 */
import { err, ok, type Result } from '../../lib/result';

test('ok carries the value as given, and no error', () => {
  const value = { port: 443 };
  const result = ok(value);
  expect(result).toEqual({ ok: true, value });
  expect(result.value).toBe(value); // not a copy: the caller gets back what it put in
  expect(Object.keys(result).sort()).toEqual(['ok', 'value']);
});

test('err carries the error as given, and no value', () => {
  const result = err({ kind: 'config', reason: 'why' });
  expect(result).toEqual({ ok: false, error: { kind: 'config', reason: 'why' } });
  expect(Object.keys(result).sort()).toEqual(['error', 'ok']);
});

test('falsy values and errors are still answers: only `ok` decides the side', () => {
  for (const value of [undefined, null, 0, '', false]) expect(ok(value)).toEqual({ ok: true, value });
  expect('value' in ok(undefined)).toBe(true);
  for (const error of [undefined, '', 0]) expect(err(error)).toEqual({ ok: false, error });
});

test('`ok` narrows the union for the caller', () => {
  const parse = (text: string): Result<number, string> => {
    const n = Number(text);
    return Number.isInteger(n) ? ok(n) : err(`${text.length} characters that are not a whole number`);
  };
  const read = (r: Result<number, string>): string => (r.ok ? `value ${r.value + 1}` : `error ${r.error}`);
  expect(read(parse('41'))).toBe('value 42');
  expect(read(parse('x'))).toBe('error 1 characters that are not a whole number');
});
