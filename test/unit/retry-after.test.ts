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

  test('absurd values are cut to a day (the deadline ends the flag long before)', () => {
    expect(parseRetryAfter('99999999999999999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(86_400_000);
  });

  test('absent or malformed headers fall back to the schedule (undefined)', () => {
    for (const bad of [undefined, '', 'soon', '-1', '1.5', '3 seconds', `${'1'.repeat(65)}`, 'Tue, 24 Nov 2026 10:00:05 GMT'.padEnd(80, 'x')]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
  });
});
