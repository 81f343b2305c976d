/**
 * Spaces the starts of queue records: at most one per `intervalMs` in a container, whatever the
 * batch's concurrency, and across batches (the pacer lives as long as the container). Each call
 * reserves the next free slot at once, so concurrent callers never share one.
 */
export type Pacer = () => Promise<void>;

export function createPacer(intervalMs: number, now: () => number, sleep: (ms: number) => Promise<void>): Pacer {
  let nextFree = Number.NEGATIVE_INFINITY;
  return async () => {
    if (intervalMs <= 0) return;
    const at = Math.max(now(), nextFree);
    nextFree = at + intervalMs;
    const waitMs = at - now();
    if (waitMs > 0) await sleep(waitMs);
  };
}
