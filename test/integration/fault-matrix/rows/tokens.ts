/** Fault matrix rows: The token endpoint and revoked tokens. */
import { flagParticipant, many, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- the token endpoint (cold flaggers: deadlines of at least 600 ms)
  {
    group: 'Token endpoint',
    case: 'token endpoint 5xx once',
    start: 'cold',
    fault: 'POST /oauth/token 503, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 503 }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint 5xx every time',
    start: 'cold',
    fault: 'POST /oauth/token 500 every time; deadline 800 ms',
    status: 'UPSTREAM_ERROR',
    token: untilDeadline(800, 2),
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(200, { status: 500 }));
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '800' }));
    },
    check: (o) => expect(o.result.httpStatus).toBe(500),
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint hangs once',
    start: 'cold',
    fault: 'POST /oauth/token never answered, then OK; attempt timeout 300 ms',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '300' }));
    },
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint hangs past the deadline',
    start: 'cold',
    fault: 'POST /oauth/token never answered; deadline 700 ms, attempt timeout as long',
    status: 'TIMEOUT',
    token: 1,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '700', FLAG_DEADLINE_MS: '700' }));
    },
    check: (o) => expect(o.wallMs).toBeLessThan(1100),
  },
  {
    group: 'Token endpoint',
    case: 'a hung token request ends with the last flag waiting on it',
    start: 'cold',
    fault:
      'POST /oauth/token never answered, then OK; attempt timeout 2 s; ' +
      'a flag with 1 s of Lambda time left (500 ms budget), then another',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ hang: true }]);
      const flagger = ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '2000' });
      const first = await flagParticipant(ctx, flagger, [], {}, 1000);
      ctx.notes.firstTimedOut = first.status === 'TIMEOUT' ? 1 : 0;
      // The token request the first flag started was the container's single flight: left running,
      // the second flag would wait on it (for the 2 s attempt timeout) instead of asking again.
      return flagParticipant(ctx, flagger, [], {}, 1000);
    },
    check: (o) => {
      expect(o.notes.firstTimedOut).toBe(1);
      // The hung request was abandoned when its last waiter left, before the second was sent.
      const [hung, second] = o.sent.filter((r) => r.route === 'token');
      expect(hung?.abandonedAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(second?.at ?? 0);
    },
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint 429 with Retry-After',
    start: 'cold',
    fault: 'POST /oauth/token 429 `Retry-After: 1`, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 429, retryAfter: '1' }]);
      return flagParticipant(ctx, ctx.cold());
    },
    // The wait it decided on, not the wall time between the requests (which load only lengthens).
    check: (o) => {
      expect(o.waits).toHaveLength(1);
      expect(o.waits[0]).toBeGreaterThanOrEqual(1000);
    },
  },
  {
    group: 'Token endpoint',
    case: 'invalid_client',
    start: 'cold',
    fault: 'POST /oauth/token 401 `{"error":"invalid_client"}`; the re-read secret is unchanged',
    status: 'AUTH_FAILED',
    token: 1,
    api: 0,
    secretReads: 2,
    run: async (ctx) => {
      ctx.script('token', [{ status: 401, body: '{"error":"invalid_client","description":"client not found"}' }]);
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) =>
      expect(o.result).toMatchObject({ httpStatus: 401, message: expect.stringContaining('invalid_client') }),
  },
  {
    group: 'Token endpoint',
    case: 'token reply without access_token, once',
    start: 'cold',
    fault: 'POST /oauth/token 200 `{"token_type":"bearer","expires_in":86400}`, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 200, body: '{"token_type":"bearer","expires_in":86400}' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'Token endpoint',
    case: 'token reply without access_token, every time',
    start: 'cold',
    fault: 'POST /oauth/token 200 without `access_token` every time; deadline 800 ms',
    status: 'UPSTREAM_ERROR',
    token: untilDeadline(800, 2),
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(200, { status: 200, body: '{"token_type":"bearer","expires_in":86400}' }));
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '800' }));
    },
    check: (o) => expect(o.result.message).toContain('access_token'),
  },
  {
    group: 'Token endpoint',
    case: 'token reply with an empty body, once',
    start: 'cold',
    fault: 'POST /oauth/token 200 with no body, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 200, body: '' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },

  // ----- tokens revoked mid-call (warm flaggers: the cached token goes bad)
  {
    group: 'Revoked tokens',
    case: 'token revoked mid-call: 401, refresh, success',
    start: 'warm',
    fault: 'every issued token revoked before the PATCH',
    status: 'UPDATED',
    token: 1,
    api: 2,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      ctx.genesys.revokeTokens();
      return flagParticipant(ctx, flagger);
    },
    check: (o) =>
      expect(o.sent.map((r) => `${r.route} ${r.status}`)).toEqual([
        'patch-attributes 401',
        'token 200',
        'patch-attributes 202',
      ]),
  },
  {
    group: 'Revoked tokens',
    case: '401 twice',
    start: 'warm',
    fault: 'PATCH 401, and 401 again with the fresh token',
    status: 'AUTH_FAILED',
    token: 1,
    api: 2,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm(), [
        { status: 401, code: 'bad.credentials' },
        { status: 401, code: 'bad.credentials' },
      ]),
    check: (o) => expect(o.result.httpStatus).toBe(401),
  },
  {
    group: 'Revoked tokens',
    case: '401, then the login host refuses the client',
    start: 'warm',
    fault: 'PATCH 401; POST /oauth/token 401 `invalid_client`; the re-read secret is unchanged',
    status: 'AUTH_FAILED',
    token: 1,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      ctx.script('token', [{ status: 401, body: '{"error":"invalid_client"}' }]);
      return flagParticipant(ctx, flagger, [{ status: 401, code: 'bad.credentials' }]);
    },
    check: (o) => expect(o.result.message).toContain('invalid_client'),
  },
];
