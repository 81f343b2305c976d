import { parseRetryAfter } from '../../lib/genesys/api-client';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');

  test('delay-seconds become milliseconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  test('an HTTP-date is measured from now, never negative', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  test('the obsolete HTTP-date forms are read too, as UTC', () => {
    expect(parseRetryAfter('Tuesday, 24-Nov-26 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue Nov 24 10:00:09 2026', now)).toBe(9000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(0);
  });

  test('what Date.parse would guess at is not a date', () => {
    for (const loose of [
      'a 1',
      '2026-11-24T10:00:05Z',
      'Nov 24 2026',
      'Tue, 24 Nov 2026 10:00:05 +0000',
      'tomorrow 5',
    ]) {
      expect(parseRetryAfter(loose, now)).toBeUndefined();
    }
  });

  test('absurd values are cut to a day (the deadline ends the flag long before)', () => {
    expect(parseRetryAfter('99999999999999999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(86_400_000);
  });

  test('absent or malformed headers fall back to the schedule (undefined)', () => {
    for (const bad of [
      undefined,
      '',
      'soon',
      '-1',
      '1.5',
      '3 seconds',
      `${'1'.repeat(65)}`,
      'Tue, 24 Nov 2026 10:00:05 GMT'.padEnd(80, 'x'),
    ]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
  });
});
