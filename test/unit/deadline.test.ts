import { AbortedError, computeDeadline, SharedWork } from '../../lib/deadline';

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

describe('SharedWork', () => {
  /** Work that ends only when told to, or when its signal aborts; counts how often it was started. */
  function controllable() {
    const started: { signal: AbortSignal; finish: (value: string) => void }[] = [];
    const start = (signal: AbortSignal): Promise<string> =>
      new Promise((resolve) => {
        started.push({ signal, finish: resolve });
        signal.addEventListener('abort', () => resolve('abandoned'));
      });
    return { started, start };
  }

  test('concurrent callers share one piece of work and all get its result', async () => {
    const shared = new SharedWork<string>();
    const { started, start } = controllable();
    const a = shared.join(start, new AbortController().signal);
    const b = shared.join(start, new AbortController().signal);
    started[0]?.finish('done');
    expect(await Promise.all([a, b])).toEqual(['done', 'done']);
    expect(started).toHaveLength(1);
    expect(shared.running).toBe(false);
  });

  test('a caller without a signal pins the work: the others leaving does not abandon it', async () => {
    const shared = new SharedWork<string>();
    const { started, start } = controllable();
    const leaving = new AbortController();
    const bounded = shared.join(start, leaving.signal);
    const pinned = shared.join(start);
    leaving.abort();
    await expect(bounded).rejects.toBeInstanceOf(AbortedError);
    expect(started[0]?.signal.aborted).toBe(false);
    started[0]?.finish('done');
    expect(await pinned).toBe('done');
  });

  test('a caller whose signal has already aborted starts nothing', async () => {
    const shared = new SharedWork<string>();
    const { started, start } = controllable();
    const gone = new AbortController();
    gone.abort();
    await expect(shared.join(start, gone.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(started).toHaveLength(0);
  });
});
