import { createPacer } from '../../lib/queue/pacer';

/** A virtual clock whose sleep advances it: waits are decisions, read without timing anything. */
function clock() {
  let t = 1_000_000;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    waits,
  };
}

test('starts are spaced by the interval: the first at once, then one interval apart', async () => {
  const c = clock();
  const pace = createPacer(1000, c.now, c.sleep);
  const starts: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    await pace();
    starts.push(c.now());
  }
  expect(starts.map((s) => s - (starts[0] ?? 0))).toEqual([0, 1000, 2000, 3000]);
});

test('concurrent callers each reserve a slot of their own', async () => {
  const c = clock();
  const pace = createPacer(500, c.now, async (ms) => {
    c.waits.push(ms); // the clock does not move: all five ask at the same instant
  });
  await Promise.all([pace(), pace(), pace(), pace(), pace()]);
  expect(c.waits).toEqual([500, 1000, 1500, 2000]);
});

test('time that passed counts: after a quiet spell the next start is at once', async () => {
  const c = clock();
  const pace = createPacer(1000, c.now, c.sleep);
  await pace();
  c.advance(5000);
  await pace();
  await pace();
  expect(c.waits).toEqual([1000]);
});

test('an interval of 0 never waits', async () => {
  const c = clock();
  const pace = createPacer(0, c.now, c.sleep);
  await Promise.all([pace(), pace(), pace()]);
  expect(c.waits).toEqual([]);
});

test('a negative interval never waits either', async () => {
  const c = clock();
  const pace = createPacer(-1000, c.now, c.sleep);
  await Promise.all([pace(), pace(), pace()]);
  expect(c.waits).toEqual([]);
});

test('a start whose slot has come is not given a sleep at all, not even of 0 ms', async () => {
  const c = clock();
  const pace = createPacer(1000, c.now, c.sleep);
  await pace();
  c.advance(1000); // exactly one interval later: the slot is now
  await pace();
  expect(c.waits).toEqual([]);
  c.advance(999); // one millisecond early: waits that millisecond
  await pace();
  expect(c.waits).toEqual([1]);
});
