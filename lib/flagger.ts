/**
 * The one interface through which a door flags: `flag` an event, `refuse` what it could not read
 * as one, and `prefetch` during the init. It is the use case over the container's pieces
 * (container.ts): parse the event, run the retry loop, and log one line (with its metrics) per
 * result. Nothing flags around it: a door's own rules (the webhook's bearer check and body limits,
 * the queue's batches and pacing) use the container's shared pieces (configuration, logger, clock,
 * secret caches, deadline), never the token source, HTTP client or retry loop behind the Flagger.
 */
import { flagParticipant } from './core/flag-participant';
import { parseFlagRequest } from './core/flag-request';
import { toResult, type FlagOutcome, type FlagResult } from './core/flag-result';
import { createContainer, type Container, type ContainerDeps, type Invocation } from './container';
import type { Env } from './config';
import { AbortedError, deadlineSignal } from './deadline';
import { errorFields, type LogFields, type Logger } from './log';
import { emfFields } from './metrics';
import type { Result } from './result';

export type { Invocation } from './container';

export interface Flagger {
  /** Never throws: every outcome, including a bug, is a FlagResult. */
  flag(event: unknown, invocation: Invocation): Promise<FlagResult>;
  /**
   * The INVALID_INPUT result for what a door refused before there was an event to flag (a
   * malformed message or body), logged and counted like every other result.
   */
  refuse(reason: string, invocation: Invocation): FlagResult;
  /**
   * Reads the secret and gets a token ahead of traffic, for at most `FLAG_INIT_PREFETCH_MS`; what
   * it could not do, the first flag does. `alongside`: a door's own reads (the webhook's bearer
   * secret), run with the same budget. Never throws. A door awaits it at the top level of its
   * module: Lambda's Node runtime waits for that before it asks for the first event, and freezes
   * the environment as soon as it asks, so the work must end within the init. Its end is the end of
   * the init: after an on-demand init, the first invocation's deadline counts the time up to it.
   */
  prefetch(alongside?: readonly PrefetchRead[]): Promise<void>;
}

/** One read a prefetch makes, bound to the prefetch's signal. */
export type PrefetchRead = (signal: AbortSignal) => Promise<Result<unknown, { kind: string; reason: string }>>;

/** A flagger with a container of its own: what the data action and the tests use. */
export function createFlagger(env: Env, deps: Partial<ContainerDeps> = {}): Flagger {
  return flaggerOf(createContainer(env, deps));
}

export function flaggerOf(container: Container): Flagger {
  const { config, logger, now } = container;
  const reports = reporter(container);

  const flagOnce = async (event: unknown, invocation: Invocation): Promise<FlagResult> => {
    const startedAt = invocation.startedAt ?? now();
    if (container.invalid !== undefined) {
      return reports.withoutRequest({ kind: 'config', reason: container.invalid }, invocation);
    }
    const request = parseFlagRequest(event, config.limits, config.defaultParticipantPurpose, container.attributes);
    if (!request.ok) {
      return reports.withoutRequest({ kind: 'invalid-input', reason: request.error }, invocation, now() - startedAt);
    }
    const deadline = container.deadline({ ...invocation, startedAt });
    const context = { startedAt, deadline, requestId: invocation.requestId };
    const result = await flagParticipant(request.value, container.policy, context, container.flagDeps);
    reports.report(result, invocation, {
      conversationId: request.value.conversationId,
      // Keys only: attribute values can be personal data and never reach the log.
      attributeKeys: Object.keys(request.value.attributes),
    });
    return result;
  };

  return {
    // The last line of defence: a bug becomes a logged UPSTREAM_ERROR status, never an exception for the flow.
    flag: async (event, invocation) => {
      const startedAt = now();
      // Whatever this invocation turns out to be (even INVALID_INPUT), it is the one after the init.
      container.deadline(invocation);
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
    refuse: (reason, invocation) => {
      container.deadline(invocation);
      return reports.withoutRequest({ kind: 'invalid-input', reason }, invocation);
    },
    prefetch: async (alongside = []) => {
      if (container.invalid === undefined) {
        const tokens: PrefetchRead = (signal) => container.flagDeps.tokens.get(signal, { prefetch: true });
        const reads = [tokens, ...alongside];
        await Promise.all(reads.map((read) => prefetchWithin(config.initPrefetchMs, now, logger, read)));
      }
      container.initEnded();
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
  const incomplete = 'prefetch incomplete: the first invocation fetches what is missing';
  try {
    const outcome = await read(deadline.signal);
    if (outcome.ok) logger.info('prefetched', { elapsedMs: now() - started });
    else logger.warn(incomplete, { ...outcome.error, elapsedMs: now() - started });
  } catch (error) {
    // The end of the budget is expected; anything else is a bug, logged as the flags log theirs.
    if (error instanceof AbortedError) logger.warn(incomplete, { kind: 'deadline', elapsedMs: now() - started });
    else logger.error('unexpected error', { during: 'prefetch', error: errorFields(error) });
  } finally {
    deadline.dispose();
  }
}

interface Reports {
  /** The one log line per result, carrying its metrics (EMF). */
  report(result: FlagResult, invocation: Invocation, fields?: LogFields): void;
  /** Builds, logs and returns the result of an invocation that ended before any request to Genesys. */
  withoutRequest(outcome: FlagOutcome, invocation: Invocation, elapsedMs?: number): FlagResult;
}

function reporter({ logger, config, now }: Container): Reports {
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
      ...emfFields(result, config.metrics, now()),
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
