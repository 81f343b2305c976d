/**
 * How long to wait before the next attempt, and how many attempts that allows: pure maths, no
 * I/O, no clock of its own. The retry loop (flag-participant.ts) feeds it the retry number and a
 * random source, which keeps every branch testable with plain numbers.
 */

export interface BackoffPolicy {
  /** The first window. */
  baseMs: number;
  /** No window is larger than this (a Retry-After can still ask for a longer wait). */
  capMs: number;
}

/** The window of retry `retry`: the base, doubled per retry, up to the cap. */
function windowMs(retry: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30); // 2^30 already exceeds any sane cap
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** The share of each window that is always waited; the rest is drawn at random. */
const BACKOFF_FIXED_SHARE = 0.5;
const POLL_FIXED_SHARE = 0.8;

/**
 * Wait after an overload signal (429, 5xx, network fault): "equal jitter" (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), half the window fixed and half drawn at random. The random
 * half keeps a fleet of containers that hit the same 429 or 503 from retrying in lock-step; the
 * fixed half gives every wait a floor, so no sequence of answers can make the function retry
 * faster than the schedule (full jitter can draw a wait of 0).
 *
 * @param retry 1 for the wait before the second attempt, 2 before the third, ...
 * @param random a source in [0, 1), `Math.random` in production
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  return jittered(windowMs(retry, policy), BACKOFF_FIXED_SHARE, random());
}

/**
 * Polling wait for a participant that is not resolved yet: 80 % of the window fixed, 20 % random.
 * A 404 right after connect is not an overload signal, so what matters is noticing the participant
 * soon after it appears without spending the org's rate-limited requests: very short waits add
 * requests and a long random tail adds lag. Measured in bench/ (npm run bench), where half-fixed
 * waits still let 2.5 % of 4 s flags need 13 requests; the 20 % random part keeps a fleet's polls
 * from lining up.
 */
export function pollDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  return jittered(windowMs(retry, policy), POLL_FIXED_SHARE, random());
}

/** At least 1 ms, so that even a 1 ms window (the smallest setting) cannot make a wait of 0. */
function jittered(window: number, fixedShare: number, draw: number): number {
  return Math.max(1, Math.floor(window * (fixedShare + (1 - fixedShare) * draw)));
}

/**
 * The shortest wait either schedule can choose before retry `retry` (a draw of 0). Every wait the
 * loop takes is at least this long, whatever upstream answered: the ground of `attemptBound`.
 */
export function shortestDelay(retry: number, policies: { backoff: BackoffPolicy; poll: BackoffPolicy }): number {
  return Math.min(
    jittered(windowMs(retry, policies.backoff), BACKOFF_FIXED_SHARE, 0),
    jittered(windowMs(retry, policies.poll), POLL_FIXED_SHARE, 0),
  );
}

/**
 * How long to wait before the next attempt: polling for a participant that is not resolved yet
 * uses pollDelay, every overload signal (429, 5xx, network) backoffDelay. A Retry-After from the
 * server can only lengthen that wait (it knows its own rate-limit window better than our backoff
 * does), never shorten it: `Retry-After: 0` must not turn the loop into a storm.
 */
export function nextDelay(
  retry: number,
  reason: { retryAfterMs?: number | undefined; notResolved: boolean },
  policies: { backoff: BackoffPolicy; poll: BackoffPolicy },
  random: () => number,
): number {
  const scheduled = reason.notResolved
    ? pollDelay(retry, policies.poll, random)
    : backoffDelay(retry, policies.backoff, random);
  return Math.max(scheduled, reason.retryAfterMs ?? 0);
}

/**
 * The most passes of the retry loop (flag-participant.ts) one invocation can make within `budgetMs`, for
 * any sequence of upstream answers. A retry is only started when its wait plus `minAttemptMs`
 * still fits before the deadline, and every wait is at least `shortestDelay`; so the retries are at
 * most the largest k with shortestDelay(1) + ... + shortestDelay(k) + minAttemptMs < budgetMs.
 * Add the first pass and the one immediate pass after a 401 (a fresh token, once per invocation).
 *
 * Each pass sends at most one token request (two when the login host refuses the cached client
 * and the secret has changed since) and one API request, plus one more in the single pass where a
 * lookup finds the participant (GET, then PATCH): API requests <= passes + 1.
 */
export function attemptBound(
  policies: { backoff: BackoffPolicy; poll: BackoffPolicy; minAttemptMs: number },
  budgetMs: number,
): number {
  let retries = 0;
  let waited = 0;
  for (;;) {
    const next = waited + shortestDelay(retries + 1, policies);
    if (next + policies.minAttemptMs >= budgetMs) break;
    waited = next;
    retries += 1;
  }
  return retries + 2;
}
