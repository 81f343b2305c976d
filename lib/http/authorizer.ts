/**
 * POST /flag's Lambda authorizer (API Gateway HTTP API, REQUEST type, payload 2.0, simple
 * responses): the bearer token is checked before the webhook function runs, so a request without
 * the token never invokes it. The check is the webhook's own (bearer-auth.ts: constant time, the
 * secret cached, re-read at most once a minute), which the webhook repeats behind it.
 *
 * API Gateway answers 401 itself when the Authorization header is missing, without invoking this,
 * and caches each answer per header value (serverless.yml: 5 minutes), so a flood of one wrong
 * token costs one invocation; each distinct wrong token costs one.
 *
 * The verdict is a value; the door (functions/authorizer.ts) answers `isAuthorized` for allow and
 * deny and throws for 'unavailable', so that API Gateway answers 500 (the webhook-5xx alarm) rather
 * than a 403 that would hide a missing or unreadable secret.
 */
import { loadAuthorizerConfig, type AuthorizerConfig, type Env } from '../config';
import { prefetchWithin } from '../flagger';
import { CachedSecret } from '../aws/secret-cache';
import { awsSecretSource, type SecretSource } from '../aws/secret-source';
import { deadlineSignal } from '../deadline';
import { createLogger, errorFields, type Logger } from '../log';
import { BearerCheck, TOKEN_REFRESH_INTERVAL_MS, type BearerVerdict } from './bearer-auth';

export interface AuthorizerDeps {
  secretSource: SecretSource;
  now: () => number;
  logger: Logger;
}

export interface Authorizer {
  /** `remainingMs`: the Lambda's remaining time; the secret read must end before it. Never throws. */
  authorize(event: unknown, invocation: { requestId: string; remainingMs?: number }): Promise<BearerVerdict>;
  /** The token's secret read ahead of traffic (in the init); never throws. */
  prefetch(): Promise<void>;
}

/** Outside Lambda (no remaining time known): one attempt and the safety margin. */
const budgetOutsideLambda = (config: AuthorizerConfig): number => config.attemptTimeoutMs + config.safetyMarginMs;

/**
 * The Authorization header of a payload 2.0 authorizer event (names in lower case), else the first
 * identity source value; read defensively, whatever arrives.
 */
export function authorizationOf(event: unknown): string | undefined {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const headers = typeof e.headers === 'object' && e.headers !== null ? (e.headers as Record<string, unknown>) : {};
  const header = headers.authorization;
  if (typeof header === 'string') return header;
  const first = Array.isArray(e.identitySource) ? (e.identitySource as unknown[])[0] : undefined;
  return typeof first === 'string' ? first : undefined;
}

export function createAuthorizer(env: Env, overrides: Partial<AuthorizerDeps> = {}): Authorizer {
  const parsed = loadAuthorizerConfig(env);
  const config = parsed.ok ? parsed.value : parsed.error.fallback;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  if (!parsed.ok) logger.error('configuration invalid', { reason: parsed.error.reason });
  const now = overrides.now ?? Date.now;
  const secretSource = overrides.secretSource ?? awsSecretSource({ requestTimeoutMs: config.attemptTimeoutMs });
  const secretId = config.webhookTokenSecretId;
  const bearer = secretId
    ? new BearerCheck(
        new CachedSecret(secretSource, secretId, {
          // As the webhook caches it: SECRET_CACHE_MAX_AGE_MS, never below the re-read interval.
          maxAgeMs: Math.max(config.secretMaxAgeMs, TOKEN_REFRESH_INTERVAL_MS),
          minRefreshIntervalMs: TOKEN_REFRESH_INTERVAL_MS,
          now,
        }),
      )
    : undefined;
  if (!bearer) logger.error('configuration invalid', { reason: 'WEBHOOK_TOKEN_SECRET_ID is not set' });

  return {
    prefetch: async () => {
      if (bearer) await prefetchWithin(config.initPrefetchMs, now, logger, (signal) => bearer.prefetch(signal));
    },
    authorize: async (event, invocation) => {
      const authorization = authorizationOf(event);
      let verdict: BearerVerdict = 'unavailable';
      if (bearer) {
        const budgetMs = (invocation.remainingMs ?? budgetOutsideLambda(config)) - config.safetyMarginMs;
        const deadline = deadlineSignal(now() + Math.max(0, budgetMs), now);
        try {
          verdict = await bearer.verify(authorization, deadline.signal);
        } catch (error) {
          // BearerCheck turns a cut read into 'unavailable'; anything else is a bug, still no access.
          logger.error('unexpected error', { requestId: invocation.requestId, error: errorFields(error) });
          verdict = 'unavailable';
        } finally {
          deadline.dispose();
        }
      }
      // Never the token, nor anything of it: the reason says only whether one came.
      if (verdict === 'ok') logger.info('webhook request authorized', { requestId: invocation.requestId });
      else if (verdict === 'denied')
        logger.warn('webhook request denied', {
          requestId: invocation.requestId,
          reason: authorization ? 'wrong token' : 'no bearer token',
        });
      else logger.error('webhook authentication unavailable', { requestId: invocation.requestId });
      return verdict;
    },
  };
}
