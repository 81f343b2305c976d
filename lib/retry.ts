/**
 * Pure retry maths: no I/O, no clock of its own. lib/flag.ts feeds it the attempt number, the
 * current time and a random source, which keeps every branch testable with plain numbers.
 */

export interface BackoffPolicy {
  /** Upper bound of the first wait. */
  baseMs: number;
  /** No single wait is longer than this (unless the server asks for longer via Retry-After). */
  capMs: number;
}

/**
 * "Full jitter" backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform
 * draw between 0 and min(cap, base * 2^(retry-1)). Spreading retries over the whole window
 * keeps a fleet of containers that hit the same 404/429 from retrying in lock-step.
 *
 * @param retry 1 for the wait before the second attempt, 2 before the third, ...
 * @param random a source in [0, 1), `Math.random` in production
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30); // 2^30 already exceeds any sane cap
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * Polling wait for a participant that is not resolved yet: 80 % of the window fixed, 20 % random.
 * A 404 right after connect is not an overload signal, so what matters is noticing the participant
 * soon after it appears without spending the org's rate-limited requests: full jitter's very short
 * waits add requests and its long tail adds lag. Measured in bench/ (npm run bench), where half-fixed
 * waits still let 2.5 % of 4 s flags need 13 requests; the 20 % random part keeps a fleet's polls
 * from lining up.
 */
export function pollDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30);
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(window * (0.8 + 0.2 * random()));
}

/**
 * Parses an HTTP `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns milliseconds to wait from `nowMs`, or undefined when the header is absent or unusable
 * (a malformed header must not stall a caller, so it falls back to normal backoff).
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) return undefined; // dates only, not "1.5"
  return Math.max(0, at - nowMs);
}

/**
 * How long to wait before the next attempt: the server's Retry-After when it gave one (it knows
 * its own rate-limit window better than our backoff does); polling for a participant that is not
 * resolved yet uses pollDelay; every overload signal (429, 5xx, network) full jitter.
 */
export function nextDelay(
  retry: number,
  reason: { retryAfterMs?: number; notResolved: boolean },
  policies: { backoff: BackoffPolicy; poll: BackoffPolicy },
  random: () => number,
): number {
  if (reason.retryAfterMs !== undefined) return reason.retryAfterMs;
  return reason.notResolved ? pollDelay(retry, policies.poll, random) : backoffDelay(retry, policies.backoff, random);
}

/**
 * The moment the function must have answered by: the configured budget, or the Lambda's remaining
 * time less a safety margin (for logging and returning), whichever comes first.
 */
export function computeDeadline(
  nowMs: number,
  budgetMs: number,
  lambdaRemainingMs: number | undefined,
  safetyMarginMs: number,
): number {
  const lambdaBudget =
    lambdaRemainingMs === undefined ? Number.POSITIVE_INFINITY : lambdaRemainingMs - safetyMarginMs;
  return nowMs + Math.max(0, Math.min(budgetMs, lambdaBudget));
}
