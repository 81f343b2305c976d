/**
 * Deadlines: when an invocation must have answered, and that moment as an AbortSignal, the one
 * mechanism that axios, the AWS SDK and our own sleeps all understand; and work that callers with
 * different deadlines share, which lasts no longer than they wait for it.
 */

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

interface Work<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers waiting for it (infinite once one without a signal joined). */
  waiting: number;
}

/**
 * Work that concurrent callers share (a secret read, a token request), bounded by the callers that
 * wait for it. The first caller starts it; later ones join it while it runs. Each caller stops
 * waiting when its own signal aborts (AbortedError), without cancelling the work for the others;
 * when the last one has stopped, the work's own signal aborts and the next caller starts afresh.
 * So work that hangs lasts no longer than the deadlines of those waiting on it, and a caller that
 * comes later never joins work nobody waits for any more. A caller without a signal pins the work:
 * it runs until it ends by itself.
 */
export class SharedWork<T> {
  private current: Work<T> | undefined;

  /** Whether work is under way. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** Waits for the work under way, or starts it with `start`; rejects with AbortedError once `signal` aborts. */
  join(start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const joined = this.current ?? this.start(start);
    if (!signal) {
      joined.waiting = Number.POSITIVE_INFINITY;
      return joined.promise;
    }
    joined.waiting += 1;
    return new Promise<T>((resolve, reject) => {
      let waiting = true;
      const leave = (): void => {
        if (!waiting) return;
        waiting = false;
        joined.waiting -= 1;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        if (joined.waiting === 0 && this.current === joined) {
          this.current = undefined;
          joined.controller.abort();
        }
        reject(new AbortedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  private start(start: (signal: AbortSignal) => Promise<T>): Work<T> {
    const controller = new AbortController();
    const work: Work<T> = { controller, waiting: 0, promise: start(controller.signal) };
    work.promise = work.promise.finally(() => {
      if (this.current === work) this.current = undefined;
    });
    // Work abandoned by all its callers may still fail; nobody is left to be told.
    work.promise.catch(() => undefined);
    this.current = work;
    return work;
  }
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
  const lambdaBudget = lambdaRemainingMs === undefined ? Number.POSITIVE_INFINITY : lambdaRemainingMs - safetyMarginMs;
  return nowMs + Math.max(0, Math.min(budgetMs, lambdaBudget));
}
