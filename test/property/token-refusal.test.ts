/**
 * Token mode under refusals, as a property: one container (the real SecretTokenSource and secret
 * cache, on a virtual clock) flags again and again while Genesys answers 401 or 202 at random and
 * the rotation puts new tokens in the secret. Whatever the sequence:
 * - a flag sends at most two requests with any one token (a first try and one second try);
 * - once the trouble is over (Genesys accepts the token again, or the secret holds a new token
 *   Genesys accepts), every flag that starts more than SECRET_MIN_REFRESH_INTERVAL_MS later is
 *   UPDATED: no container stays refused longer than that.
 */
import fc from 'fast-check';
import { CachedSecret } from '../../lib/aws/secret-cache';
import { flagParticipant, type FlagDeps, type FlagPolicy } from '../../lib/core/flag-participant';
import type { HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import type { GenesysId } from '../../lib/genesys/ids';
import { SecretTokenSource } from '../../lib/genesys/token-secret';
import { createLogger } from '../../lib/log';
import { params, timeout } from './support';
import { sensitive } from '../../lib/sensitive';

const API = 'http://api.genesys.invalid';
const INTERVAL_MS = 10_000; // SECRET_MIN_REFRESH_INTERVAL_MS: the cache's refresh interval and the refusal memory
const T0 = Date.UTC(2026, 0, 1, 12);
const request = {
  conversationId: '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51' as GenesysId,
  participantId: 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36' as GenesysId,
  participantPurpose: 'customer',
  attributes: { compliance_checked: 'true' },
};
const policy: FlagPolicy = {
  backoff: { baseMs: 100, capMs: 1000 },
  poll: { baseMs: 150, capMs: 560 },
  attemptTimeoutMs: 3000,
  minAttemptMs: 50,
};

/**
 * Before the recovery: a flag after `gapMs`; Genesys answers its PATCHes from `answers` (401 or
 * 202); maybe a rotation first.
 */
const troubledFlag = fc.record({
  gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
  rotateFirst: fc.boolean(),
  answers: fc.array(fc.constantFrom(401, 401, 202), { minLength: 1, maxLength: 4 }),
  concurrent: fc.integer({ min: 1, max: 3 }),
});
const scenario = fc.record({
  trouble: fc.array(troubledFlag, { minLength: 1, maxLength: 8 }),
  /** How it ends: Genesys accepts the token it refused, or the rotation stores a new one (the old stays refused). */
  recovery: fc.constantFrom('genesys' as const, 'rotation' as const),
  after: fc.array(fc.integer({ min: 0, max: 25_000 }), { minLength: 1, maxLength: 6 }),
});

test(
  'at most two requests per token per flag, and UPDATED again within the refresh interval of the recovery',
  async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        let t = T0;
        let version = 0;
        const tokenOf = (v: number) => `token-${v}`;
        const secretValue = (v: number) =>
          JSON.stringify({
            accessToken: tokenOf(v),
            expiresAt: new Date(T0 + 86_400_000).toISOString(),
            environment: 'mypurecloud.com',
          });
        /** Tokens Genesys refuses for good (revoked), and the scripted answers of the current flag. */
        const revoked = new Set<string>();
        let script: number[] = [];
        let sent: string[] = [];
        const http = async (req: HttpRequest): Promise<HttpReply> => {
          const token = req.authorization?.reveal().replace(/^Bearer /, '') ?? '';
          sent.push(token);
          const status = revoked.has(token) ? 401 : (script.shift() ?? 202);
          return { kind: 'response', status, headers: {}, body: '', truncated: false };
        };
        const cache = new CachedSecret(
          { fetch: async () => ({ ok: true, value: sensitive(secretValue(version)) }) },
          'token',
          {
            maxAgeMs: 300_000,
            minRefreshIntervalMs: INTERVAL_MS,
            now: () => t,
          },
        );
        const tokens = new SecretTokenSource(cache, {
          now: () => t,
          refreshMarginMs: 60_000,
          refusalMemoryMs: INTERVAL_MS,
          overrides: { apiBaseUrl: API, loginBaseUrl: API },
        });
        const deps: FlagDeps = {
          tokens,
          http,
          now: () => t,
          sleep: async (ms) => {
            t += ms;
          },
          random: () => 0.5,
          logger: createLogger({ level: 'error', sink: () => undefined }),
        };
        const flag = async () => {
          sent = [];
          const result = await flagParticipant(
            request,
            policy,
            { startedAt: t, deadline: t + 8000, requestId: 'r' },
            deps,
          );
          const perToken = new Map<string, number>();
          for (const token of sent) perToken.set(token, (perToken.get(token) ?? 0) + 1);
          expect(Math.max(...perToken.values(), 0)).toBeLessThanOrEqual(2);
          return result;
        };

        for (const step of s.trouble) {
          t += step.gapMs;
          if (step.rotateFirst) version += 1;
          for (let i = 0; i < step.concurrent; i += 1) {
            script = [...step.answers];
            await flag();
          }
        }
        // The recovery, at time R.
        const recoveredAt = t;
        script = [];
        if (s.recovery === 'rotation') {
          revoked.add(tokenOf(version)); // the old token stays refused; the new one works
          version += 1;
        }
        for (const gap of s.after) {
          t += gap;
          const startedAt = t;
          const result = await flag();
          if (startedAt >= recoveredAt + INTERVAL_MS)
            expect({ since: startedAt - recoveredAt, status: result.status }).toEqual({
              since: startedAt - recoveredAt,
              status: 'UPDATED',
            });
        }
      }),
      params(400),
    );
  },
  timeout(20_000, 400),
);
