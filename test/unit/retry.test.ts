import { backoffDelay, computeDeadline, nextDelay, parseRetryAfter } from '../../lib/retry';

const policy = { baseMs: 100, capMs: 1000 };

describe('backoffDelay (full jitter)', () => {
  test('the window doubles from the base and stops at the cap', () => {
    const top = (retry: number) => backoffDelay(retry, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 20].map(top)).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  test('a draw of 0 waits nothing and a mid draw waits half the window', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  test('huge retry numbers do not overflow past the cap', () => {
    expect(backoffDelay(10_000, policy, () => 0.5)).toBe(500);
  });
});

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

  test('absent or malformed headers fall back to backoff (undefined)', () => {
    for (const bad of [undefined, '', 'soon', '-1', '1.5', '3 seconds']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

test('nextDelay prefers the server Retry-After, polls with mostly fixed waits, backs off with full jitter', () => {
  const policies = { backoff: policy, poll: { baseMs: 150, capMs: 560 } };
  expect(nextDelay(1, { retryAfterMs: 2500, notResolved: false }, policies, () => 0.5)).toBe(2500);
  expect(nextDelay(1, { retryAfterMs: 2500, notResolved: true }, policies, () => 0.5)).toBe(2500);
  expect(nextDelay(1, { notResolved: false }, policies, () => 0.5)).toBe(50);
  expect(nextDelay(1, { notResolved: true }, policies, () => 0.5)).toBe(135);
  expect(nextDelay(9, { notResolved: true }, policies, () => 0)).toBe(448);
});

describe('computeDeadline', () => {
  test('the configured budget applies when Lambda has time to spare', () => {
    expect(computeDeadline(1000, 8000, 60_000, 500)).toBe(9000);
  });

  test("the Lambda's remaining time less the safety margin wins when shorter", () => {
    expect(computeDeadline(1000, 8000, 3000, 500)).toBe(3500);
  });

  test('a budget already inside the safety margin leaves no time at all', () => {
    expect(computeDeadline(1000, 8000, 200, 500)).toBe(1000);
  });

  test('outside Lambda only the budget counts', () => {
    expect(computeDeadline(0, 8000, undefined, 500)).toBe(8000);
  });
});
