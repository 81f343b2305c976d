import { getEventListeners } from 'node:events';
import { AbortedError, computeDeadline, deadlineSignal, SharedWork, sleep } from '../../lib/deadline';

/** Lets timers of a few milliseconds fire. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

describe('deadlineSignal', () => {
  test('aborts at the deadline, counted on the clock it is given', async () => {
    const { signal, dispose } = deadlineSignal(1_000_010, () => 1_000_000);
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect(signal.aborted).toBe(true);
    dispose();
  });

  test('the wait is the deadline less now() of the clock given, not of the wall clock', async () => {
    // On the wall clock this deadline passed in 1970; on the given clock it is 60 s away.
    const { signal, dispose } = deadlineSignal(60_000, () => 0);
    await pause(20);
    expect(signal.aborted).toBe(false);
    dispose();
  });

  test('a deadline already passed aborts at once (on the next turn), never waits', async () => {
    const { signal, dispose } = deadlineSignal(1000, () => 5000);
    await pause(5);
    expect(signal.aborted).toBe(true);
    dispose();
  });

  test('dispose clears the timer: the signal never aborts afterwards', async () => {
    const { signal, dispose } = deadlineSignal(Date.now() + 10, Date.now);
    dispose();
    await pause(40);
    expect(signal.aborted).toBe(false);
  });
});

describe('sleep', () => {
  test('resolves after the time given', async () => {
    await expect(sleep(5)).resolves.toBeUndefined();
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-100)).resolves.toBeUndefined();
  });

  test('a signal that aborts ends it early, resolving (a wait cut short is not an error)', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });

  test('a signal already aborted: no wait at all', async () => {
    let done = false;
    void sleep(60_000, AbortSignal.abort()).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(true);
  });

  test('leaves no listener on the signal, whichever way it ends', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i += 1) await sleep(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const cut = sleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await cut;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
