/**
 * Flags one participant: an attempt gets a token, finds the participant if only the conversation
 * is known, and PATCHes its attributes; the loop around it retries what is worth retrying until
 * the deadline (docs/retries.md's table, in code). Every collaborator (clock, sleep, randomness,
 * HTTP, tokens, logger) comes in through `deps`, so tests drive time and faults without patching
 * modules.
 */
import { deadlineSignal } from '../deadline';
import type { AccessToken, TokenError, TokenSource } from '../genesys/oauth-tokens';
import { proxyRefusal, type ApiOutcome, type HttpClient } from '../genesys/api-client';
import type { GenesysId } from '../genesys/ids';
import {
  getConversation,
  MAX_CONVERSATION_BYTES,
  patchAttributes,
  pickParticipant,
  REQUIRED_PERMISSIONS,
} from '../genesys/participants';
import type { Logger } from '../log';
import type { FlagRequest } from './flag-request';
import { toResult, type FlagOutcome, type FlagResult } from './flag-result';
import { nextDelay, type BackoffPolicy } from './backoff';

export interface FlagDeps {
  tokens: TokenSource;
  http: HttpClient;
  now: () => number;
  /** Waits `ms`, returning early when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  logger: Logger;
}

export interface FlagPolicy {
  /** Waits after overload signals: 429 without Retry-After, 5xx, network faults. */
  backoff: BackoffPolicy;
  /** Waits while the participant is not resolved yet (404, not in the conversation yet). */
  poll: BackoffPolicy;
  attemptTimeoutMs: number;
  /** A retry is only started with at least this much time left before the deadline. */
  minAttemptMs: number;
}

export interface FlagContext {
  startedAt: number;
  /** Epoch ms by which a status must be returned. */
  deadline: number;
  requestId: string;
}

/** What one attempt concluded. */
type Step =
  | { next: 'done'; outcome: FlagOutcome }
  | { next: 'retry'; outcome: FlagOutcome; retryAfterMs?: number | undefined }
  /** Genesys refused the token (401): drop it and try once more at once with a fresh one. */
  | { next: 're-authenticate'; token: AccessToken };

/** What the flag has learnt so far; its result reports it whatever the outcome. */
interface Progress {
  /** Requests sent to the conversations API. */
  attempts: number;
  httpStatus: number;
  contextId?: string;
  /** From the event, or once a lookup found it. */
  participantId?: GenesysId | undefined;
}

export async function flagParticipant(
  request: FlagRequest,
  policy: FlagPolicy,
  context: FlagContext,
  deps: FlagDeps,
): Promise<FlagResult> {
  const progress: Progress = {
    attempts: 0,
    httpStatus: 0,
    participantId: request.participantId,
  };
  const finish = (outcome: FlagOutcome): FlagResult =>
    toResult(outcome, { ...progress, elapsedMs: deps.now() - context.startedAt, requestId: context.requestId });
  /** The last answer worth retrying: what the flow is told when the deadline cuts the retries short. */
  let lastAnswer: FlagOutcome | undefined;
  let reauthenticated = false;
  let retries = 0;

  const deadline = deadlineSignal(context.deadline, deps.now);
  try {
    for (;;) {
      if (deps.now() >= context.deadline)
        return finish(lastAnswer ?? { kind: 'timeout', reason: 'no time left for an attempt before the deadline' });
      let step = await attempt(request, progress, policy, context, deps, deadline.signal);
      if (step.next === 're-authenticate') {
        deps.tokens.invalidate(step.token);
        if (!reauthenticated) {
          reauthenticated = true;
          logAttempt(deps, context, progress, step);
          continue;
        }
        step = { next: 'done', outcome: { kind: 'auth', reason: deps.tokens.refusedAgain } };
      }
      if (step.next === 'done') {
        logAttempt(deps, context, progress, step);
        // A deadline that cuts a retry short reports what the earlier answers said (still 404,
        // still 429, ...): that tells the flow more than TIMEOUT, which is kept for an attempt
        // that never got an answer at all.
        return finish(step.outcome.kind === 'timeout' && lastAnswer ? lastAnswer : step.outcome);
      }
      lastAnswer = step.outcome;
      retries += 1;
      const waitMs = nextDelay(
        retries,
        {
          notResolved: step.outcome.kind === 'not-resolved',
          retryAfterMs: step.retryAfterMs,
        },
        policy,
        deps.random,
      );
      logAttempt(deps, context, progress, step, waitMs);
      // Waiting past the deadline is pointless (this also covers a Retry-After longer than the
      // budget), and so is starting an attempt that has no time left to be answered.
      if (deps.now() + waitMs + policy.minAttemptMs >= context.deadline) return finish(lastAnswer);
      await deps.sleep(waitMs, deadline.signal);
    }
  } finally {
    deadline.dispose();
  }
}

/** One attempt: a token, the participant (looked up when the event did not name it), the PATCH. */
async function attempt(
  request: FlagRequest,
  progress: Progress,
  policy: FlagPolicy,
  context: FlagContext,
  deps: FlagDeps,
  signal: AbortSignal,
): Promise<Step> {
  const got = await deps.tokens.get(signal);
  if (!got.ok) {
    if (got.error.status !== 0) progress.httpStatus = got.error.status;
    return fromTokenError(got.error);
  }
  const token = got.value;
  if (token.afterRefusal) {
    // The token Genesys just refused, and no newer one: one more try after a short wait tells a
    // passing refusal from a revoked token. Without the time for it, the next flag tries.
    const waitMs = policy.backoff.baseMs;
    if (deps.now() + waitMs + policy.minAttemptMs >= context.deadline) {
      return {
        next: 'done',
        outcome: {
          kind: 'auth',
          reason: 'Genesys refused the token from the token secret (401), and no time was left to try it once more',
        },
      };
    }
    await deps.sleep(waitMs, signal);
    if (signal.aborted)
      return {
        next: 'done',
        outcome: { kind: 'timeout', reason: 'the deadline came while waiting to try the token once more' },
      };
  }
  const options = { http: deps.http, token, signal, now: deps.now };
  /** Sends one API request with its attempt timeout, and notes what the result must report. */
  const send = async (call: (timeoutMs: number) => Promise<ApiOutcome>): Promise<ApiOutcome> => {
    progress.attempts += 1;
    const timeout = attemptTimeout(policy, context.deadline - deps.now());
    const outcome = deadlineWhenClipped(await call(timeout.ms), timeout.clipped);
    if (outcome.status !== 0) progress.httpStatus = outcome.status;
    if ('contextId' in outcome && outcome.contextId) progress.contextId = outcome.contextId;
    // Any answer but 401 means Genesys took the token.
    if (outcome.status !== 0 && outcome.kind !== 'unauthorized') deps.tokens.accepted(token);
    return outcome;
  };

  if (progress.participantId === undefined) {
    const lookup = fromLookup(
      await send((timeoutMs) => getConversation(request.conversationId, { ...options, timeoutMs })),
      request.participantPurpose,
      token,
    );
    if ('next' in lookup) return lookup;
    progress.participantId = lookup.participantId;
  }
  const participantId = progress.participantId;
  return fromApi(
    await send((timeoutMs) =>
      patchAttributes(request.conversationId, participantId, request.attributes, { ...options, timeoutMs }),
    ),
    'participant',
    token,
  );
}

/** Each attempt gets the configured timeout, clipped to the time left before the deadline. */
function attemptTimeout(policy: FlagPolicy, leftMs: number): { ms: number; clipped: boolean } {
  return { ms: Math.max(1, Math.min(policy.attemptTimeoutMs, leftMs)), clipped: policy.attemptTimeoutMs >= leftMs };
}

/**
 * An attempt timeout clipped to the time left is the deadline itself: its timer and the
 * deadline's fire together and either may win the race. Either way the deadline came first.
 */
function deadlineWhenClipped(outcome: ApiOutcome, clipped: boolean): ApiOutcome {
  return clipped && outcome.kind === 'network' && outcome.reason === 'timeout'
    ? { kind: 'deadline', status: 0 }
    : outcome;
}

function logAttempt(deps: FlagDeps, context: FlagContext, progress: Progress, step: Step, waitMs?: number): void {
  deps.logger.debug('attempt', {
    requestId: context.requestId,
    attempt: progress.attempts,
    httpStatus: progress.httpStatus,
    step: step.next,
    ...(step.next === 're-authenticate'
      ? {}
      : { outcome: step.outcome.kind, ...('reason' in step.outcome ? { reason: step.outcome.reason } : {}) }),
    delayMs: waitMs,
  });
}

/** The participant a lookup found, or the step when it found none (yet) or the answer was not usable. */
function fromLookup(found: ApiOutcome, purpose: string, token: AccessToken): { participantId: GenesysId } | Step {
  if (found.kind !== 'ok') return fromApi(found, 'conversation', token);
  const pick = found.truncated
    ? ({ kind: 'malformed', reason: `the conversation reply is larger than ${MAX_CONVERSATION_BYTES} bytes` } as const)
    : pickParticipant(found.body, purpose);
  switch (pick.kind) {
    case 'found':
      return { participantId: pick.participantId };
    case 'absent':
      return {
        next: 'retry',
        outcome: { kind: 'not-resolved', reason: `the conversation has no active "${purpose}" participant yet` },
      };
    case 'malformed':
      // An upstream fault: retried like a 5xx, and the id itself is never sent nor echoed.
      return { next: 'retry', outcome: { kind: 'upstream', reason: pick.reason } };
  }
}

function fromApi(outcome: ApiOutcome, what: 'conversation' | 'participant', token: AccessToken): Step {
  const code = 'code' in outcome && outcome.code ? ` ${outcome.code}` : '';
  switch (outcome.kind) {
    case 'ok':
      return { next: 'done', outcome: { kind: 'updated' } };
    case 'not-found':
      return { next: 'retry', outcome: { kind: 'not-resolved', reason: `${what} not found yet (404${code})` } };
    case 'unauthorized':
      return { next: 're-authenticate', token };
    case 'forbidden':
      return { next: 'done', outcome: { kind: 'auth', reason: forbiddenReason(what, code, outcome.permissions) } };
    case 'throttled':
      return {
        next: 'retry',
        outcome: { kind: 'throttled', reason: `rate-limited by Genesys (429${code})` },
        retryAfterMs: outcome.retryAfterMs,
      };
    case 'server-error':
      return { next: 'retry', outcome: { kind: 'upstream', reason: `Genesys answered ${outcome.status}${code}` } };
    case 'rejected':
      return {
        next: 'done',
        outcome: { kind: 'rejected', reason: `Genesys rejected the request (${outcome.status}${code})` },
      };
    case 'network':
      return {
        next: 'retry',
        outcome: {
          kind: 'upstream',
          reason:
            outcome.reason === 'timeout'
              ? 'Genesys did not answer within the attempt timeout'
              : `network fault talking to Genesys (${outcome.code})`,
        },
      };
    case 'proxy-refused':
      // The deployer's proxy refuses the tunnel: configuration, named once and not retried.
      return { next: 'done', outcome: { kind: 'config', reason: proxyRefusal(outcome.proxyStatus) } };
    case 'deadline':
      return {
        next: 'done',
        outcome: { kind: 'timeout', reason: 'the deadline came while a request to Genesys was in flight' },
      };
  }
}

/**
 * A 403 names what to fix: the permission the refused request needs, known here for each of the
 * two calls, and whatever permission names Genesys's answer held (validated by parseErrorBody).
 */
function forbiddenReason(what: 'conversation' | 'participant', code: string, named: string[] | undefined): string {
  const says = named && named.length > 0 ? `; Genesys names ${named.join(', ')}` : '';
  if (what === 'conversation') {
    const needed = REQUIRED_PERMISSIONS.lookup.join(' or ');
    return (
      `the OAuth client's role lacks ${needed}, which reading the conversation (to find the participant) needs ` +
      `(403${code}${says}); grant it, or send participantId`
    );
  }
  return (
    `Genesys refused the attributes PATCH (403${code}${says}); ` +
    'it lists no required permission: check that the OAuth client has a role in the org'
  );
}

function fromTokenError(error: TokenError): Step {
  switch (error.kind) {
    case 'config':
      return { next: 'done', outcome: { kind: 'config', reason: error.reason } };
    case 'auth':
      return { next: 'done', outcome: { kind: 'auth', reason: error.reason } };
    case 'throttled':
      return {
        next: 'retry',
        outcome: { kind: 'throttled', reason: error.reason },
        retryAfterMs: error.retryAfterMs,
      };
    case 'upstream':
      return {
        next: 'retry',
        outcome: { kind: 'upstream', reason: error.reason },
        retryAfterMs: error.retryAfterMs,
      };
    case 'deadline':
      return { next: 'done', outcome: { kind: 'timeout', reason: error.reason } };
  }
}
