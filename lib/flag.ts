/**
 * Flags one participant: get a token, find the participant if only the conversation is known,
 * PATCH its attributes, and retry what is worth retrying until the deadline. Every collaborator
 * (clock, sleep, randomness, HTTP, tokens, logger) comes in through `deps`, so tests drive time
 * and faults without patching modules.
 */
import { deadlineSignal } from './abort';
import type { TokenError, TokenSource } from './genesys/auth';
import type { ApiOutcome, HttpClient } from './genesys/http';
import type { GenesysId } from './genesys/ids';
import { getConversation, MAX_CONVERSATION_BYTES, patchAttributes, pickParticipant } from './genesys/participants';
import type { Logger } from './log';
import type { FlagRequest } from './request';
import { toResult, type FlagOutcome, type FlagResult } from './result';
import { nextDelay, type BackoffPolicy } from './retry';

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

/** What one pass of the loop concluded. */
type Step =
  | { next: 'done'; outcome: FlagOutcome }
  | { next: 'retry'; outcome: FlagOutcome; retryAfterMs?: number }
  | { next: 'again' };

export async function flagParticipant(
  request: FlagRequest,
  policy: FlagPolicy,
  context: FlagContext,
  deps: FlagDeps,
): Promise<FlagResult> {
  const { now } = deps;
  let attempts = 0;
  let httpStatus = 0;
  let contextId: string | undefined;
  let participantId: GenesysId | undefined = request.participantId;
  let retries = 0;
  let tokenRefused = false;
  let last: FlagOutcome | undefined;

  const finish = (outcome: FlagOutcome): FlagResult =>
    toResult(outcome, {
      attempts,
      httpStatus,
      elapsedMs: now() - context.startedAt,
      requestId: context.requestId,
      ...(contextId ? { contextId } : {}),
      ...(participantId ? { participantId } : {}),
    });

  /** Sends one API request and remembers what the result needs to report. */
  const call = async (send: (timeoutMs: number) => Promise<ApiOutcome>): Promise<ApiOutcome> => {
    attempts += 1;
    const left = context.deadline - now();
    let outcome = await send(Math.max(1, Math.min(policy.attemptTimeoutMs, left)));
    // An attempt timeout clipped to the time left is the deadline itself: its timer and the
    // deadline's fire together, and either may win the race. Either way the deadline came first.
    if (policy.attemptTimeoutMs >= left && outcome.kind === 'network' && outcome.reason === 'timeout') outcome = { kind: 'deadline', status: 0 };
    if (outcome.status !== 0) httpStatus = outcome.status;
    if ('contextId' in outcome && outcome.contextId) contextId = outcome.contextId;
    return outcome;
  };

  const deadline = deadlineSignal(context.deadline, now);
  try {
    for (;;) {
      if (now() >= context.deadline) {
        return finish(last ?? { kind: 'timeout', reason: 'no time left for an attempt before the deadline' });
      }
      const token = await deps.tokens.get(deadline.signal);
      let step: Step;
      if (!token.ok) {
        if (token.error.status !== 0) httpStatus = token.error.status;
        step = fromTokenError(token.error);
      } else {
        const options = {
          http: deps.http,
          token: token.token,
          signal: deadline.signal,
          now,
        };
        let lookup: Step | undefined;
        if (participantId === undefined) {
          const found = await call((timeoutMs) => getConversation(request.conversationId, { ...options, timeoutMs }));
          if (found.kind === 'ok') {
            const pick = found.truncated
              ? ({ kind: 'malformed', reason: `the conversation reply is larger than ${MAX_CONVERSATION_BYTES} bytes` } as const)
              : pickParticipant(found.body, request.participantPurpose);
            if (pick.kind === 'found') participantId = pick.participantId;
            else if (pick.kind === 'absent') {
              lookup = {
                next: 'retry',
                outcome: { kind: 'not-resolved', reason: `the conversation has no active "${request.participantPurpose}" participant yet` },
              };
            } else {
              // An upstream fault: retried like a 5xx, and the id itself is never sent nor echoed.
              lookup = { next: 'retry', outcome: { kind: 'upstream', reason: pick.reason } };
            }
          } else {
            lookup = fromApi(found, 'conversation');
          }
        }
        if (lookup) step = lookup;
        else {
          const target = participantId as GenesysId;
          const patched = await call((timeoutMs) => patchAttributes(request.conversationId, target, request.attributes, { ...options, timeoutMs }));
          step = fromApi(patched, 'participant');
        }
        if (step.next === 'again') {
          if (tokenRefused) step = { next: 'done', outcome: { kind: 'auth', reason: 'Genesys refused a fresh token too (401)' } };
          else {
            tokenRefused = true;
            deps.tokens.invalidate(token.token);
          }
        }
      }

      const delayMs =
        step.next === 'retry'
          ? nextDelay(
              retries + 1,
              { notResolved: step.outcome.kind === 'not-resolved', ...(step.retryAfterMs === undefined ? {} : { retryAfterMs: step.retryAfterMs }) },
              policy,
              deps.random,
            )
          : 0;
      deps.logger.debug('attempt', {
        requestId: context.requestId,
        attempt: attempts,
        httpStatus,
        step: step.next,
        ...(step.next === 'again' ? {} : { outcome: step.outcome.kind }),
        ...(step.next !== 'again' && 'reason' in step.outcome ? { reason: step.outcome.reason } : {}),
        ...(step.next === 'retry' ? { delayMs } : {}),
      });

      if (step.next === 'done') {
        // A deadline that cuts a retry short reports what the earlier answers said (still 404,
        // still 429, ...): that tells the flow more than TIMEOUT, which is kept for an attempt
        // that never got an answer at all.
        return finish(step.outcome.kind === 'timeout' && last ? last : step.outcome);
      }
      if (step.next === 'again') continue;
      last = step.outcome;
      retries += 1;
      // Waiting past the deadline is pointless (this also covers a Retry-After longer than the
      // budget), and so is starting an attempt that has no time left to be answered.
      if (now() + delayMs + policy.minAttemptMs >= context.deadline) return finish(last);
      await deps.sleep(delayMs, deadline.signal);
    }
  } finally {
    deadline.dispose();
  }
}

function fromApi(outcome: ApiOutcome, what: 'conversation' | 'participant'): Step {
  const code = 'code' in outcome && outcome.code ? ` ${outcome.code}` : '';
  switch (outcome.kind) {
    case 'ok':
      return { next: 'done', outcome: { kind: 'updated' } };
    case 'not-found':
      return { next: 'retry', outcome: { kind: 'not-resolved', reason: `${what} not found yet (404${code})` } };
    case 'unauthorized':
      return { next: 'again' };
    case 'forbidden':
      return { next: 'done', outcome: { kind: 'auth', reason: `the OAuth client lacks permission (403${code})` } };
    case 'throttled':
      return {
        next: 'retry',
        outcome: { kind: 'throttled', reason: `rate-limited by Genesys (429${code})` },
        ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
      };
    case 'server-error':
      return { next: 'retry', outcome: { kind: 'upstream', reason: `Genesys answered ${outcome.status}${code}` } };
    case 'rejected':
      return { next: 'done', outcome: { kind: 'rejected', reason: `Genesys rejected the request (${outcome.status}${code})` } };
    case 'network':
      return {
        next: 'retry',
        outcome: {
          kind: 'upstream',
          reason: outcome.reason === 'timeout' ? 'Genesys did not answer within the attempt timeout' : `network fault talking to Genesys (${outcome.code})`,
        },
      };
    case 'deadline':
      return { next: 'done', outcome: { kind: 'timeout', reason: 'the deadline came while a request to Genesys was in flight' } };
  }
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
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      };
    case 'upstream':
      return {
        next: 'retry',
        outcome: { kind: 'upstream', reason: error.reason },
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      };
    case 'deadline':
      return { next: 'done', outcome: { kind: 'timeout', reason: error.reason } };
  }
}
