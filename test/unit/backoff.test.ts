import { attemptBound, backoffDelay, nextDelay, pollDelay, shortestDelay } from '../../lib/core/backoff';

const policy = { baseMs: 100, capMs: 1000 };
const policies = { backoff: policy, poll: { baseMs: 150, capMs: 560 } };

describe('backoffDelay (equal jitter)', () => {
  test('the window doubles from the base and stops at the cap', () => {
    const top = (retry: number) => backoffDelay(retry, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 20].map(top)).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  test('half of each window is always waited, the other half is drawn', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
  });

  test('huge retry numbers do not overflow past the cap', () => {
    expect(backoffDelay(10_000, policy, () => 0.5)).toBe(750);
  });

  test('even the smallest window waits at least 1 ms', () => {
    expect(backoffDelay(1, { baseMs: 1, capMs: 1 }, () => 0)).toBe(1);
    expect(pollDelay(1, { baseMs: 1, capMs: 1 }, () => 0)).toBe(1);
  });
});

describe('nextDelay', () => {
  test('polls with mostly fixed waits and backs off with equal jitter', () => {
    expect(nextDelay(1, { notResolved: false }, policies, () => 0.5)).toBe(75);
    expect(nextDelay(1, { notResolved: true }, policies, () => 0.5)).toBe(135);
    expect(nextDelay(9, { notResolved: true }, policies, () => 0)).toBe(448);
  });

  test('a Retry-After longer than the scheduled wait is waited', () => {
    expect(nextDelay(1, { retryAfterMs: 2500, notResolved: false }, policies, () => 0.5)).toBe(2500);
    expect(nextDelay(1, { retryAfterMs: 2500, notResolved: true }, policies, () => 0.5)).toBe(2500);
  });

  test('a Retry-After can never shorten the scheduled wait: 0 or a past date is the schedule', () => {
    for (const retry of [1, 2, 3, 4, 5, 12]) {
      expect(nextDelay(retry, { retryAfterMs: 0, notResolved: false }, policies, () => 0.3)).toBe(
        backoffDelay(retry, policy, () => 0.3),
      );
      expect(nextDelay(retry, { retryAfterMs: 1, notResolved: true }, policies, () => 0.3)).toBe(
        pollDelay(retry, policies.poll, () => 0.3),
      );
    }
  });
});

describe('attemptBound', () => {
  test('shortestDelay is the smaller floor of the two schedules', () => {
    // backoff floors 50, 100, 200, 400, 500; poll floors 120, 240, 448, 448
    expect([1, 2, 3, 4, 5, 6].map((r) => shortestDelay(r, policies))).toEqual([50, 100, 200, 400, 448, 448]);
  });

  test('with the defaults (8 s, minimum attempt window 50 ms) a flag makes at most 22 passes', () => {
    // 50 + 100 + 200 + 400 + 16 x 448 = 7918 ms of waits (+ 50 < 8000): 20 retries, the first pass, one 401 pass.
    expect(attemptBound({ ...policies, minAttemptMs: 50 }, 8000)).toBe(22);
  });

  test('no budget leaves the first pass and the 401 pass', () => {
    expect(attemptBound({ ...policies, minAttemptMs: 50 }, 0)).toBe(2);
  });

  test('the bound grows with the budget and is finite for the smallest settings', () => {
    const tiny = { backoff: { baseMs: 1, capMs: 1 }, poll: { baseMs: 1, capMs: 1 }, minAttemptMs: 0 };
    expect(attemptBound(tiny, 1000)).toBe(1000 - 1 + 2);
    expect(attemptBound({ ...policies, minAttemptMs: 50 }, 20_000)).toBeGreaterThan(
      attemptBound({ ...policies, minAttemptMs: 50 }, 8000),
    );
  });
});
