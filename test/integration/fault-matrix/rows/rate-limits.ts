/** Fault matrix rows: Rate limits. */
import { flagParticipant, gapMs, many, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- rate limits
  {
    group: 'Rate limits',
    case: '429 with Retry-After in seconds',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 1`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: '1' }]),
    // The wait it decided on, not the wall time between the requests (which load only lengthens).
    check: (o) => {
      expect(o.waits).toHaveLength(1);
      expect(o.waits[0]).toBeGreaterThanOrEqual(1000);
    },
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After as an HTTP date',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1–2 s ahead>`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const at = (Math.floor(Date.now() / 1000) + 2) * 1000; // a whole second: HTTP dates have no milliseconds
      ctx.notes.retryAt = at;
      return flagParticipant(ctx, flagger, [{ status: 429, retryAfter: new Date(at).toUTCString() }]);
    },
    check: (o) => {
      const second = o.sent.filter((r) => r.route === 'patch-attributes')[1];
      // Order: the retry arrived once the date had come (less a timer's granularity).
      expect(second?.at ?? 0).toBeGreaterThanOrEqual((o.notes.retryAt ?? Number.POSITIVE_INFINITY) - 20);
    },
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After as an HTTP date in the past',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1 min ago>`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm(), [
        { status: 429, retryAfter: new Date(Date.now() - 60_000).toUTCString() },
      ]),
    check: (o) => expect(gapMs(o, 'patch-attributes')).toBeLessThan(200),
  },
  {
    group: 'Rate limits',
    case: '429 without Retry-After',
    start: 'warm',
    fault: 'PATCH 429 (no header), then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429 }]),
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After longer than the budget (seconds)',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 30`',
    status: 'RATE_LIMITED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: '30' }]),
    check: (o) => {
      expect(o.result.httpStatus).toBe(429);
      expect(o.result.elapsedMs).toBeLessThan(300); // ends at once, without waiting
    },
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After longer than the budget (HTTP date)',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1 min ahead>`',
    status: 'RATE_LIMITED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm(), [
        { status: 429, retryAfter: new Date(Date.now() + 60_000).toUTCString() },
      ]),
    check: (o) => expect(o.result.elapsedMs).toBeLessThan(300),
  },
  {
    group: 'Rate limits',
    case: '429 every time',
    start: 'warm',
    fault: 'PATCH 429 (no header) every time; deadline 600 ms',
    status: 'RATE_LIMITED',
    token: 0,
    api: untilDeadline(600),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status: 429 })),
    check: (o) => expect(o.result.httpStatus).toBe(429),
  },
];
