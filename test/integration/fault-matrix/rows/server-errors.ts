/** Fault matrix rows: Server errors and the network. */
import { LAG_MS, flagParticipant, lookUp, many, patchStatuses, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- server errors and the network
  ...[500, 502, 503, 504].map(
    (status): Row => ({
      group: 'Server errors and the network',
      case: `${status} every time`,
      start: 'warm',
      fault: `PATCH ${status} every time; deadline 600 ms`,
      status: 'UPSTREAM_ERROR',
      token: 0,
      api: untilDeadline(600),
      secretReads: 0,
      run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status })),
      check: (o) => {
        expect(o.result.httpStatus).toBe(status);
        expect(o.result.elapsedMs).toBeLessThanOrEqual(600 + LAG_MS);
      },
    }),
  ),
  {
    group: 'Server errors and the network',
    case: '503 twice, then OK',
    start: 'warm',
    fault: 'PATCH 503, 503, then OK',
    status: 'UPDATED',
    token: 0,
    api: 3,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 503 }, { status: 503 }]),
  },
  {
    group: 'Server errors and the network',
    case: 'connection reset once',
    start: 'warm',
    fault: 'PATCH socket destroyed without an answer, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ reset: true }]),
  },
  {
    group: 'Server errors and the network',
    case: 'connection reset every time',
    start: 'warm',
    fault: 'PATCH socket destroyed every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { reset: true })),
    check: (o) => expect(o.result.httpStatus).toBe(0),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response once',
    start: 'warm',
    fault: 'PATCH never answered, then OK; attempt timeout 200 ms',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '200' }), [{ hang: true }]),
    // The first PATCH was never answered: only its attempt timeout can have ended it.
    check: (o) => expect(patchStatuses(o)).toEqual(['PATCH 0', 'PATCH 202']),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response every time',
    start: 'warm',
    fault: 'PATCH never answered; attempt timeout 200 ms, deadline 700 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    // 0-200, 205-405, 415-615, then 635 with 65 ms left (cut by the deadline): 3 or 4 attempts.
    api: { min: 3, max: 4 },
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(
        ctx,
        await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '200', FLAG_DEADLINE_MS: '700' }),
        many(10, { hang: true }),
      ),
    check: (o) => expect(o.result.elapsedMs).toBeLessThanOrEqual(700 + LAG_MS),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response past the deadline',
    start: 'warm',
    fault: 'PATCH never answered; deadline 600 ms, attempt timeout as long',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '600', FLAG_DEADLINE_MS: '600' }), [
        { hang: true },
      ]),
    check: (o) => {
      expect(o.result.httpStatus).toBe(0);
      expect(o.wallMs).toBeLessThan(1000); // the deadline: the attempt timeout, as long, is cut to the time left
    },
  },
  {
    group: 'Server errors and the network',
    case: 'PATCH 202 whose body trickles in',
    start: 'warm',
    fault: 'PATCH status line at once, body after 2 s; attempt timeout 300 ms',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '300' }), [{ slowBodyMs: 2000 }]),
    // A 2xx is an answer at its status line: the body is not waited for, and the PATCH not re-sent.
    check: (o) => expect(o.result.elapsedMs).toBeLessThan(300),
  },
  {
    group: 'Server errors and the network',
    case: 'lookup body inside the attempt timeout',
    start: 'warm',
    fault: 'no participantId; GET status line at once, conversation after 100 ms',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => lookUp(ctx, await ctx.warm(), [{ slowBodyMs: 100 }]),
    // The slow body was read, not abandoned and asked for again.
    check: (o) => expect(patchStatuses(o)).toEqual(['GET 200', 'PATCH 202']),
  },
  {
    group: 'Server errors and the network',
    case: 'lookup body beyond the attempt timeout',
    start: 'warm',
    fault: 'no participantId; GET body after 2 s, then OK; attempt timeout 300 ms',
    status: 'UPDATED',
    token: 0,
    api: 3,
    secretReads: 0,
    run: async (ctx) => lookUp(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '300' }), [{ slowBodyMs: 2000 }]),
    check: (o) => {
      expect(o.sent.filter((r) => r.route !== 'token').map((r) => r.method)).toEqual(['GET', 'GET', 'PATCH']);
      expect(o.result.elapsedMs).toBeLessThan(1500);
    },
  },
  {
    group: 'Server errors and the network',
    case: 'lookup body past the deadline',
    start: 'warm',
    fault: 'no participantId; GET body after 2 s; deadline 600 ms, attempt timeout as long',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) =>
      lookUp(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '600', FLAG_DEADLINE_MS: '600' }), [{ slowBodyMs: 2000 }]),
    check: (o) => expect(o.wallMs).toBeLessThan(1000),
  },
];
