/**
 * Fault matrix rows: Token mode. The flagger reads its token from the token secret (what the
 * rotation keeps there) and never mints one: `GENESYS_TOKEN_SECRET_ID` names the row's secret,
 * which holds a token the emulator issued. The refusal memory (SECRET_MIN_REFRESH_INTERVAL_MS) is
 * 300 ms here.
 */
import { CLIENT_ID } from '../../../support/emulator-env';
import type { FlagResult } from '../../../../lib/core/flag-result';
import type { Ctx, Row } from '../matrix';
import { flagParticipant } from '../matrix';

const MEMORY_MS = 300;

/** Puts a freshly issued token in the row's secret and returns a warm token-mode flagger. */
async function tokenMode(ctx: Ctx) {
  const { accessToken, expiresAt } = ctx.genesys.issueToken(CLIENT_ID);
  ctx.putSecret(
    JSON.stringify({ accessToken, expiresAt: new Date(expiresAt).toISOString(), environment: 'mypurecloud.com' }),
  );
  return ctx.warm({
    GENESYS_TOKEN_SECRET_ID: ctx.secretId,
    GENESYS_CREDENTIALS_SECRET_ID: '',
    SECRET_MIN_REFRESH_INTERVAL_MS: String(MEMORY_MS),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const ROWS: Row[] = [
  {
    group: 'Token mode',
    case: 'one passing 401 on the stored token',
    start: 'warm',
    fault: 'PATCH 401 once; the secret still holds the same token',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 1,
    ownSecret: true,
    run: async (ctx) => flagParticipant(ctx, await tokenMode(ctx), [{ status: 401, code: 'bad.credentials' }]),
    // The same token sent again (after a short wait), once the re-read secret showed no newer one.
    check: (o) =>
      expect(o.sent.map((r) => `${r.route} ${r.status}`)).toEqual(['patch-attributes 401', 'patch-attributes 202']),
  },
  {
    group: 'Token mode',
    case: 'the flag after a passing 401',
    start: 'warm',
    fault: 'as above; counted: the next flag',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    ownSecret: true,
    run: async (ctx) => {
      const flagger = await tokenMode(ctx);
      await flagParticipant(ctx, flagger, [{ status: 401, code: 'bad.credentials' }]);
      ctx.startCounting();
      return flagParticipant(ctx, flagger);
    },
  },
  {
    group: 'Token mode',
    case: 'stored token revoked',
    start: 'warm',
    fault: 'every issued token revoked; the secret holds no newer one',
    status: 'AUTH_FAILED',
    token: 0,
    api: 2,
    secretReads: 1,
    ownSecret: true,
    run: async (ctx) => {
      const flagger = await tokenMode(ctx);
      ctx.genesys.revokeTokens();
      return flagParticipant(ctx, flagger);
    },
    check: (o) =>
      expect(o.result).toMatchObject({
        httpStatus: 401,
        message: expect.stringContaining('again after re-reading the secret'),
      }),
  },
  {
    group: 'Token mode',
    case: 'revoked: a flag inside the refusal memory',
    start: 'warm',
    fault: 'as above; counted: a second flag within 300 ms',
    status: 'AUTH_FAILED',
    token: 0,
    api: 0,
    secretReads: 0,
    ownSecret: true,
    run: async (ctx) => {
      const flagger = await tokenMode(ctx);
      ctx.genesys.revokeTokens();
      await flagParticipant(ctx, flagger);
      ctx.startCounting();
      return flagParticipant(ctx, flagger);
    },
    check: (o) =>
      expect(o.result).toMatchObject({ httpStatus: 401, message: expect.stringContaining('It is tried again in') }),
  },
  {
    group: 'Token mode',
    case: 'revoked: three flags past the refusal memory',
    start: 'warm',
    fault: 'as above; counted: three concurrent flags once 300 ms have passed',
    status: 'AUTH_FAILED',
    token: 0,
    api: 1,
    secretReads: { min: 0, max: 1 },
    ownSecret: true,
    run: async (ctx) => {
      const flagger = await tokenMode(ctx);
      ctx.genesys.revokeTokens();
      await flagParticipant(ctx, flagger);
      await sleep(MEMORY_MS + 50);
      ctx.startCounting();
      // One probe between them: a revoked token costs at most one request per memory per container.
      const results = await Promise.all([1, 2, 3].map(() => flagParticipant(ctx, flagger)));
      expect(results.map((r) => r.status)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
      return results.find((r) => r.attempts > 0) ?? (results[0] as FlagResult);
    },
  },
  {
    group: 'Token mode',
    case: 'revoked, then the rotation stores a new token',
    start: 'warm',
    fault: 'as above; a new token in the secret; counted: a flag once 300 ms have passed',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 1,
    ownSecret: true,
    run: async (ctx) => {
      const flagger = await tokenMode(ctx);
      ctx.genesys.revokeTokens();
      await flagParticipant(ctx, flagger);
      const { accessToken, expiresAt } = ctx.genesys.issueToken(CLIENT_ID);
      ctx.putSecret(
        JSON.stringify({ accessToken, expiresAt: new Date(expiresAt).toISOString(), environment: 'mypurecloud.com' }),
      );
      await sleep(MEMORY_MS + 50);
      ctx.startCounting();
      return flagParticipant(ctx, flagger);
    },
  },
];
