/**
 * The per-container composition: configuration, secret caches, token source and HTTP client are
 * built once (per Lambda container) and shared by every invocation. A door creates one Flagger at
 * module load and calls `flag` per event. The Flagger also hands a door what its own rules need:
 * the configuration, the logger, the Secrets Manager source, the deadline and `refuse`.
 */
import { performance } from 'node:perf_hooks';
import { CachedSecret } from './aws/secret-cache';
import { awsSecretSource, type SecretSource } from './aws/secret-source';
import {
  DEFAULT_METRICS_NAMESPACE,
  hostOverrides,
  loadConfig,
  NUMERIC_SETTINGS,
  overridesInForce,
  type Config,
  type Env,
} from './config';
import { flagParticipant, type FlagDeps, type FlagPolicy } from './core/flag-participant';
import { parseFlagRequest, type AttributeContract } from './core/flag-request';
import { CONTRACT } from './core/attribute-contract';
import { toResult, type FlagOutcome, type FlagResult } from './core/flag-result';
import { AbortedError, computeDeadline, deadlineSignal, sleep as realSleep } from './deadline';
import { TokenProvider, type TokenSource } from './genesys/oauth-tokens';
import { credentialsFromSecret } from './genesys/credentials';
import { axiosHttpClient, createGenesysAxios, type HttpClient } from './genesys/api-client';
import { SecretTokenSource } from './genesys/token-secret';
import { createLogger, errorFields, type LogFields, type Logger } from './log';
import { emfFields, type MetricsOptions } from './metrics';

export interface Invocation {
  /** Lambda request id (or any id the door has); the correlation id when Genesys gave none. */
  requestId: string;
  /** `context.getRemainingTimeInMillis()`, read at `startedAt`; undefined outside Lambda. */
  remainingMs?: number;
  /**
   * Epoch ms at which the door received the event (default: when `flag` is called). The deadline
   * counts from here, so work a door does first (the webhook's bearer check) is not given twice.
   */
  startedAt?: number;
  /** Extra fields for this invocation's log line (e.g. an SQS message id). */
  logFields?: LogFields;
}

export interface Flagger {
  /** Never throws: every outcome, including a bug, is a FlagResult. */
  flag(event: unknown, invocation: Invocation): Promise<FlagResult>;
  /** The parsed configuration; undefined when it is invalid (every flag is then CONFIG_ERROR). */
  readonly config: Config | undefined;
  readonly logger: Logger;
  /** The container's Secrets Manager source, for doors that read secrets of their own. */
  readonly secretSource: SecretSource;
  /** Epoch ms by which `flag` answers for this invocation: what a door's own work must fit in too. */
  deadline(invocation: Invocation): number;
  /**
   * Reads the secret and gets a token ahead of traffic, for at most `FLAG_INIT_PREFETCH_MS`; what
   * it could not do, the first flag does. `alongside`: a door's own reads (the webhook's bearer
   * secret), run with the same budget. Never throws. A door awaits it at the top level of its
   * module: Lambda's Node runtime waits for that before it asks for the first event, and freezes
   * the environment as soon as it asks, so the work must end within the init. Its end is the end of
   * the init: after an on-demand init, the first invocation's deadline counts the time up to it.
   */
  prefetch(alongside?: readonly PrefetchRead[]): Promise<void>;
  /**
   * The INVALID_INPUT result for what a door refused before there was an event to flag (a
   * malformed message or body), logged and counted like every other result.
   */
  refuse(reason: string, invocation: Invocation): FlagResult;
}

/** One read a prefetch makes, bound to the prefetch's signal. */
export type PrefetchRead = (
  signal: AbortSignal,
) => Promise<{ ok: true } | { ok: false; error: { kind: string; reason: string } }>;

/** Everything that can be swapped for tests or other hosts; production defaults otherwise. */
export interface FlaggerDeps {
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

export function createFlagger(env: Env, overrides: Partial<FlaggerDeps> = {}): Flagger {
  const parsed = loadConfig(env);
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: parsed.ok ? parsed.config.logLevel : 'info' });
  const secretSource =
    overrides.secretSource ??
    awsSecretSource({
      requestTimeoutMs: parsed.ok ? parsed.config.attemptTimeoutMs : NUMERIC_SETTINGS.attemptTimeoutMs.default,
    });

  if (!parsed.ok) {
    logger.error('configuration invalid', { reason: parsed.reason });
    const reports = reporter(
      logger,
      { namespace: DEFAULT_METRICS_NAMESPACE, functionName: env.AWS_LAMBDA_FUNCTION_NAME || 'local' },
      now,
    );
    return {
      flag: async (_event, invocation) => reports.withoutRequest({ kind: 'config', reason: parsed.reason }, invocation),
      config: undefined,
      logger,
      secretSource,
      deadline: (invocation) =>
        computeDeadline(
          invocation.startedAt ?? now(),
          NUMERIC_SETTINGS.deadlineMs.default,
          invocation.remainingMs,
          NUMERIC_SETTINGS.safetyMarginMs.default,
        ),
      refuse: refusal(reports),
      prefetch: async () => undefined,
    };
  }

  const { config } = parsed;
  logOverrides(config, logger);
  const reports = reporter(logger, config.metrics, now);
  const http =
    overrides.http ??
    axiosHttpClient(createGenesysAxios(config.genesysProxyUrl, hostOverrides(config), config.attemptTimeoutMs));
  const deps: FlagDeps = {
    tokens: tokenSource(config, secretSource, http, now),
    http,
    now,
    sleep: overrides.sleep ?? realSleep,
    random: overrides.random ?? Math.random,
    logger,
  };
  const policy: FlagPolicy = {
    backoff: { baseMs: config.backoffBaseMs, capMs: config.backoffCapMs },
    poll: { baseMs: config.pollBaseMs, capMs: config.pollCapMs },
    attemptTimeoutMs: config.attemptTimeoutMs,
    minAttemptMs: config.minAttemptMs,
  };
  const init = initBudget(env, overrides.initStartedAt ?? performance.timeOrigin, now, logger);
  const deadline = (invocation: Invocation): number =>
    computeDeadline(
      invocation.startedAt ?? now(),
      init.budgetFor(invocation.requestId, config.deadlineMs),
      invocation.remainingMs,
      config.safetyMarginMs,
    );

  const flagOnce = async (event: unknown, invocation: Invocation): Promise<FlagResult> => {
    const startedAt = invocation.startedAt ?? now();
    const request = parseFlagRequest(
      event,
      config.limits,
      config.defaultParticipantPurpose,
      overrides.attributes ?? CONTRACT,
    );
    if (!request.ok)
      return reports.withoutRequest({ kind: 'invalid-input', reason: request.reason }, invocation, now() - startedAt);
    const result = await flagParticipant(
      request.request,
      policy,
      { startedAt, deadline: deadline({ ...invocation, startedAt }), requestId: invocation.requestId },
      deps,
    );
    reports.report(result, invocation, {
      conversationId: request.request.conversationId,
      // Keys only: attribute values can be personal data and never reach the log.
      attributeKeys: Object.keys(request.request.attributes),
    });
    return result;
  };

  return {
    // The last line of defence: a bug becomes a logged UPSTREAM_ERROR status, never an exception for the flow.
    flag: async (event, invocation) => {
      const startedAt = now();
      // Whatever this invocation turns out to be (even INVALID_INPUT), it is the one after the init.
      init.budgetFor(invocation.requestId, config.deadlineMs);
      try {
        return await flagOnce(event, invocation);
      } catch (error) {
        logger.error('unexpected error', { requestId: invocation.requestId, error: errorFields(error) });
        const outcome: FlagOutcome = {
          kind: 'internal',
          reason: 'unexpected internal error; see the function log for this correlationId',
        };
        return reports.withoutRequest(outcome, invocation, now() - startedAt);
      }
    },
    config,
    logger,
    secretSource,
    deadline,
    refuse: (reason, invocation) => {
      init.budgetFor(invocation.requestId, config.deadlineMs);
      return refusal(reports)(reason, invocation);
    },
    prefetch: async (alongside = []) => {
      const reads: PrefetchRead[] = [(signal) => deps.tokens.get(signal, { prefetch: true }), ...alongside];
      await Promise.all(reads.map((read) => prefetchWithin(config.initPrefetchMs, now, logger, read)));
      init.ended();
    },
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
  env: Env,
  startedAt: number,
  now: () => number,
  logger: Logger,
): {
  /** The init has ended (the prefetch is done). */
  ended(): void;
  /** The budget of invocation `requestId`; the first invocation asking is the one that pays for the init. */
  budgetFor(requestId: string, deadlineMs: number): number;
} {
  const onDemand = env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';
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

/**
 * Runs `read` for at most `budgetMs` and logs how it went; never throws. `read` gets a signal that
 * aborts at the end of the budget, and binds the requests it starts to it, so none is left running
 * (to be frozen mid-request by Lambda) when the init ends.
 */
export async function prefetchWithin(
  budgetMs: number,
  now: () => number,
  logger: Logger,
  read: PrefetchRead,
): Promise<void> {
  if (budgetMs <= 0) return;
  const started = now();
  const deadline = deadlineSignal(started + budgetMs, now);
  try {
    const outcome = await read(deadline.signal);
    if (outcome.ok) logger.info('prefetched', { elapsedMs: now() - started });
    else
      logger.warn('prefetch incomplete: the first invocation fetches what is missing', {
        kind: outcome.error.kind,
        reason: outcome.error.reason,
        elapsedMs: now() - started,
      });
  } catch (error) {
    // The end of the budget is expected; anything else is a bug, logged as the flags log theirs.
    if (error instanceof AbortedError)
      logger.warn('prefetch incomplete: the first invocation fetches what is missing', {
        kind: 'deadline',
        elapsedMs: now() - started,
      });
    else logger.error('unexpected error', { during: 'prefetch', error: errorFields(error) });
  } finally {
    deadline.dispose();
  }
}

/** One warning at init when a Genesys host is overridden: the hosts in force, nothing else of the URLs. */
function logOverrides(config: Pick<Config, 'apiBaseUrl' | 'loginBaseUrl'>, logger: Logger): void {
  const hosts = overridesInForce(config);
  if (Object.keys(hosts).length > 0) logger.warn('Genesys host override in force', hosts);
}

/** Token mode reads a ready token from its secret; otherwise the client-credentials grant mints one. */
function tokenSource(config: Config, secretSource: SecretSource, http: HttpClient, now: () => number): TokenSource {
  const cache = (secretId: string): CachedSecret =>
    new CachedSecret(secretSource, secretId, {
      maxAgeMs: config.secretMaxAgeMs,
      minRefreshIntervalMs: config.secretMinRefreshIntervalMs,
      now,
    });
  const overrides = hostOverrides(config);
  if (config.tokenSecretId) {
    return new SecretTokenSource(cache(config.tokenSecretId), {
      now,
      refreshMarginMs: config.tokenRefreshMarginMs,
      refusalMemoryMs: config.secretMinRefreshIntervalMs,
      overrides,
    });
  }
  return new TokenProvider({
    credentials: credentialsFromSecret(cache(config.credentialsSecretId), overrides),
    http,
    now,
    attemptTimeoutMs: config.attemptTimeoutMs,
    refreshMarginMs: config.tokenRefreshMarginMs,
  });
}

interface Reports {
  /** The one log line per result, carrying its metrics (EMF). */
  report(result: FlagResult, invocation: Invocation, fields?: LogFields): void;
  /** Builds, logs and returns the result of an invocation that ended before any request to Genesys. */
  withoutRequest(outcome: FlagOutcome, invocation: Invocation, elapsedMs?: number): FlagResult;
}

function refusal(reports: Reports): Flagger['refuse'] {
  return (reason, invocation) => reports.withoutRequest({ kind: 'invalid-input', reason }, invocation);
}

function reporter(logger: Logger, metrics: MetricsOptions, now: () => number): Reports {
  const report: Reports['report'] = (result, invocation, fields = {}) => {
    const line = {
      requestId: invocation.requestId,
      status: result.status,
      attempts: result.attempts,
      httpStatus: result.httpStatus,
      elapsedMs: result.elapsedMs,
      correlationId: result.correlationId,
      participantId: result.participantId,
      ...fields,
      ...invocation.logFields,
      reason: result.message,
      ...emfFields(result, metrics, now()),
    };
    if (result.status === 'UPDATED') logger.info('flagged', line);
    else logger.warn('not flagged', line);
  };
  return {
    report,
    withoutRequest: (outcome, invocation, elapsedMs = 0) => {
      const result = toResult(outcome, { attempts: 0, httpStatus: 0, elapsedMs, requestId: invocation.requestId });
      report(result, invocation);
      return result;
    },
  };
}
