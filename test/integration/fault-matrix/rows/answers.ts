/** Fault matrix rows: Odd 2xx answers and untrusted answers. */
import { flagParticipant, lookUp, many, shortestWait, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- odd successes
  {
    group: 'Odd 2xx answers',
    case: '2xx with a malformed body',
    start: 'warm',
    fault: 'PATCH 200 `not json{`',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 200, body: 'not json{' }]),
    check: (o) => expect(o.result.httpStatus).toBe(200),
  },
  {
    group: 'Odd 2xx answers',
    case: '2xx with an empty body',
    start: 'warm',
    fault: 'PATCH 204, no body',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 204, body: '' }]),
    check: (o) => expect(o.result.httpStatus).toBe(204),
  },
  {
    group: 'Odd 2xx answers',
    case: '2xx with an unexpected JSON body',
    start: 'warm',
    fault: 'PATCH 201 `[1,2,3]`',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 201, body: '[1,2,3]' }]),
    check: (o) => expect(o.result.httpStatus).toBe(201),
  },
  {
    group: 'Odd 2xx answers',
    case: 'lookup answered 200 with a malformed body',
    start: 'warm',
    fault: 'no participantId; GET 200 `{"participants":` every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600),
    secretReads: 0,
    run: async (ctx) =>
      lookUp(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status: 200, body: '{"participants":' })),
    check: (o) => expect(o.sent.filter((r) => r.route === 'patch-attributes')).toHaveLength(0),
  },
  {
    group: 'Untrusted answers',
    case: 'Retry-After: 0 on every answer',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 0` every time; deadline 600 ms',
    status: 'RATE_LIMITED',
    token: 0,
    api: untilDeadline(600),
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status: 429, retryAfter: '0' })),
    check: (o) => {
      // The schedule's waits, never shorter: 7, 15, 30, 30 ... ms (random pinned at 0.5).
      expect(o.waits.length).toBeGreaterThan(1);
      for (const [i, wait] of o.waits.entries()) expect(wait).toBeGreaterThanOrEqual(shortestWait(i + 1));
    },
  },
  {
    group: 'Untrusted answers',
    case: 'lookup names the customer with the id `..`',
    start: 'warm',
    fault: "no participantId; GET 200 with the customer's id `..` every time; deadline 600 ms",
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600),
    secretReads: 0,
    run: async (ctx) =>
      lookUp(
        ctx,
        await ctx.warm({ FLAG_DEADLINE_MS: '600' }),
        many(200, { status: 200, body: JSON.stringify({ participants: [{ id: '..', purpose: 'customer' }] }) }),
      ),
    check: (o) => {
      expect(o.sent.filter((r) => r.route === 'patch-attributes')).toHaveLength(0);
      expect(o.result.participantId).toBe('');
    },
  },
  {
    group: 'Untrusted answers',
    case: '2xx with a 2 MiB body',
    start: 'warm',
    fault: 'PATCH 202 with a body of 2 MiB',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 202, body: 'x'.repeat(2 * 1024 * 1024) }]),
  },
];
