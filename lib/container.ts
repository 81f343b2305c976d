/**
 * The per-container pieces, built once (per Lambda container) and shared by every invocation: the
 * configuration, the logger, the Secrets Manager source and its caches, the HTTP client, the token
 * source, and the deadline each invocation answers by. Nothing here flags: the use case is
 * flagger.ts, and a door's own rules (queue/, http/) take what they need from here.
 */
import { performance } from 'node:perf_hooks';
import { CachedSecret } from './aws/secret-cache';
import { awsSecretSource, type SecretSource } from './aws/secret-source';
import { loadConfig, overridesInForce, type Config, type Env } from './config';
import type { FlagDeps, FlagPolicy } from './core/flag-participant';
import type { AttributeContract } from './core/flag-request';
import { CONTRACT } from './core/attribute-contract';
import { computeDeadline, sleep as realSleep } from './deadline';
import { TokenProvider, type TokenSource } from './genesys/oauth-tokens';
import { credentialsFromSecret } from './genesys/credentials';
import { axiosHttpClient, createGenesysAxios, type HttpClient } from './genesys/api-client';
import { SecretTokenSource } from './genesys/token-secret';
import { createLogger, type LogFields, type Logger } from './log';

export interface Invocation {
  /** Lambda request id (or any id the door has); the correlation id when Genesys gave none. */
  requestId: string;
  /** `context.getRemainingTimeInMillis()`, read at `startedAt`; undefined outside Lambda. */
  remainingMs?: number | undefined;
  /**
   * Epoch ms at which the door received the event (default: when `flag` is called). The deadline
   * counts from here, so work a door does first (the webhook's bearer check) is not given twice.
   */
  startedAt?: number;
  /** Extra fields for this invocation's log line (e.g. an SQS message id). */
  logFields?: LogFields;
}

/** Everything that can be swapped for tests or other hosts; production defaults otherwise. */
export interface ContainerDeps {
  secretSource: SecretSource;
  http: HttpClient;
  now: () => number;
  sleep: FlagDeps['sleep'];
  random: () => number;
  logger: Logger;
  /** The attributes a flag may set; production's is infra/contracts/attributes.json. */
  attributes: AttributeContract;
  /**
   * Epoch ms at which the Lambda init began (default: the start of this process, which in Lambda
   * is the start of the init). Only used after an on-demand init (AWS_LAMBDA_INITIALIZATION_TYPE).
   */
  initStartedAt: number;
}

export interface Container {
  /** The configuration; while it is invalid, the settings to fall back on (see `invalid`). */
  readonly config: Config;
  /** Why the configuration is invalid (every flag then answers CONFIG_ERROR); undefined when it is valid. */
  readonly invalid: string | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  /** What the retry loop needs: tokens, HTTP, clock, sleep, randomness, logger. */
  readonly flagDeps: FlagDeps;
  readonly policy: FlagPolicy;
  readonly attributes: AttributeContract;
  /** Epoch ms by which invocation `invocation` answers; the first after an on-demand init pays for it. */
  deadline(invocation: Invocation): number;
  /** The init has ended (the prefetch is done): what an on-demand init's first invocation is charged up to. */
  initEnded(): void;
  /**
   * A cache in front of `secretId` over the container's Secrets Manager source, with the configured
   * ages (`minAgeMs` a floor on the maximum age): also for a door's own secret (the webhook's bearer token).
   */
  cachedSecret(secretId: string, options?: { minAgeMs?: number; minRefreshIntervalMs?: number }): CachedSecret;
}

export function createContainer(env: Env, overrides: Partial<ContainerDeps> = {}): Container {
  const parsed = loadConfig(env);
  const config = parsed.ok ? parsed.value : parsed.error.fallback;
  const invalid = parsed.ok ? undefined : parsed.error.reason;
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  if (invalid !== undefined) logger.error('configuration invalid', { reason: invalid });
  else logOverrides(config, logger);
  const secretSource = overrides.secretSource ?? awsSecretSource({ requestTimeoutMs: config.attemptTimeoutMs });
  const http =
    overrides.http ?? axiosHttpClient(createGenesysAxios(config.genesysProxyUrl, config, config.attemptTimeoutMs));
  const cachedSecret: Container['cachedSecret'] = (secretId, options = {}) =>
    new CachedSecret(secretSource, secretId, {
      maxAgeMs: Math.max(config.secretMaxAgeMs, options.minAgeMs ?? 0),
      minRefreshIntervalMs: options.minRefreshIntervalMs ?? config.secretMinRefreshIntervalMs,
      now,
    });
  const init = initBudget(config, overrides.initStartedAt ?? performance.timeOrigin, now, logger);
  return {
    config,
    invalid,
    logger,
    now,
    flagDeps: {
      tokens: tokenSource(config, cachedSecret, http, now),
      http,
      now,
      sleep: overrides.sleep ?? realSleep,
      random: overrides.random ?? Math.random,
      logger,
    },
    policy: {
      backoff: { baseMs: config.backoffBaseMs, capMs: config.backoffCapMs },
      poll: { baseMs: config.pollBaseMs, capMs: config.pollCapMs },
      attemptTimeoutMs: config.attemptTimeoutMs,
      minAttemptMs: config.minAttemptMs,
    },
    attributes: overrides.attributes ?? CONTRACT,
    deadline: (invocation) =>
      computeDeadline(
        invocation.startedAt ?? now(),
        init.budgetFor(invocation.requestId, config.deadlineMs),
        invocation.remainingMs,
        config.safetyMarginMs,
      ),
    initEnded: () => init.ended(),
    cachedSecret,
  };
}

/**
 * What the first invocation after an on-demand init may spend. On demand, Lambda runs the init
 * while the caller (the data action, which gives up at its own timeout) is already waiting, and the
 * invocation's own remaining time does not count the init. So the first invocation's budget is
 * FLAG_DEADLINE_MS less the time from the start of the init (`startedAt`, by default the process's
 * start) to its end (the prefetch's end): from the process's start to the answer is then at most
 * FLAG_DEADLINE_MS (and timer lag), whatever the upstream does during either. After a
 * provisioned-concurrency or SnapStart init nobody is waiting yet, and nothing is counted.
 *
 * Lambda also initialises some on-demand environments ahead of traffic, and reports those as
 * on-demand too: their first caller then gives up the init's time for nothing. That costs little
 * when the prefetch went well (the module's load and one token request) and about
 * FLAG_INIT_PREFETCH_MS more when it did not, which the configuration keeps below the deadline by
 * one attempt timeout.
 */
function initBudget(
  config: Pick<Config, 'initializationType'>,
  startedAt: number,
  now: () => number,
  logger: Logger,
): {
  /** The init has ended (the prefetch is done). */
  ended(): void;
  /** The budget of invocation `requestId`; the first invocation asking is the one that pays for the init. */
  budgetFor(requestId: string, deadlineMs: number): number;
} {
  const onDemand = config.initializationType === 'on-demand';
  const createdAt = now();
  let endedAt: number | undefined;
  /** The invocation that pays for the init, and what the init cost. */
  let first: { requestId: string; initMs: number } | undefined;
  return {
    ended: () => {
      endedAt = now();
    },
    budgetFor: (requestId, deadlineMs) => {
      if (!onDemand) return deadlineMs;
      if (!first) {
        // Without a prefetch, the init ended when the composition was built.
        first = { requestId, initMs: Math.max(0, Math.round((endedAt ?? createdAt) - startedAt)) };
        logger.info('on-demand init counted against the first invocation', {
          requestId,
          initMs: first.initMs,
          budgetMs: Math.max(0, deadlineMs - first.initMs),
        });
      }
      return requestId === first.requestId ? Math.max(0, deadlineMs - first.initMs) : deadlineMs;
    },
  };
}

/** One warning at init when a Genesys host is overridden: the hosts in force, nothing else of the URLs. */
function logOverrides(config: Pick<Config, 'apiBaseUrl' | 'loginBaseUrl'>, logger: Logger): void {
  const hosts = overridesInForce(config);
  if (Object.keys(hosts).length > 0) logger.warn('Genesys host override in force', hosts);
}

/** Token mode reads a ready token from its secret; otherwise the client-credentials grant mints one. */
function tokenSource(
  config: Config,
  cachedSecret: Container['cachedSecret'],
  http: HttpClient,
  now: () => number,
): TokenSource {
  // The host overrides are the config's own apiBaseUrl and loginBaseUrl.
  if (config.tokenSecretId) {
    return new SecretTokenSource(cachedSecret(config.tokenSecretId), {
      now,
      refreshMarginMs: config.tokenRefreshMarginMs,
      refusalMemoryMs: config.secretMinRefreshIntervalMs,
      overrides: config,
    });
  }
  return new TokenProvider({
    credentials: credentialsFromSecret(cachedSecret(config.credentialsSecretId), config),
    http,
    now,
    attemptTimeoutMs: config.attemptTimeoutMs,
    refreshMarginMs: config.tokenRefreshMarginMs,
  });
}
