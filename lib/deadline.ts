/**
 * Deadlines: when an invocation must have answered, and that moment as an AbortSignal, the one
 * mechanism that axios, the AWS SDK and our own sleeps all understand.
 */

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/**
 * Settles with `promise`, or rejects with AbortedError as soon as `signal` aborts. The promise
 * itself keeps running: this is for waiting on shared work (a token request several invocations
 * wait on) without letting one caller's deadline cancel it for the others.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A signal that aborts at `deadline` (epoch ms) and a `dispose` that clears its timer. */
export function deadlineSignal(deadline: number, now: () => number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - now()));
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/** Real sleep that ends early (resolving, not rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
