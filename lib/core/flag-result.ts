/**
 * The flat status object a caller branches on, and the one place that decides which status an
 * outcome becomes. Architect data actions only accept flat output contracts, so every field is a
 * string, integer or boolean (see infra/contracts/flag-participant.output.json).
 */

export const FLAG_STATUSES = [
  'UPDATED',
  'INVALID_INPUT',
  'PARTICIPANT_NOT_FOUND',
  'REJECTED',
  'AUTH_FAILED',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'TIMEOUT',
  'CONFIG_ERROR',
] as const;

export type FlagStatus = (typeof FLAG_STATUSES)[number];

export interface FlagResult {
  status: FlagStatus;
  /** True only for UPDATED: the attributes are set on the participant. */
  updated: boolean;
  /** Requests sent to the Genesys conversations API (lookups and PATCHes; OAuth not counted). */
  attempts: number;
  /** HTTP status of the last Genesys response, 0 when none was received. */
  httpStatus: number;
  elapsedMs: number;
  message: string;
  /** Genesys `contextId` of the last response when there was one, else the invocation's request id. */
  correlationId: string;
  /** The participant that was (or would have been) flagged; "" when it was never resolved. */
  participantId: string;
}

/**
 * Why a flag ended. Produced by the retry loop (flag-participant.ts), turned into a status only here,
 * so the mapping from "what happened" to "what the flow does" is in one reviewable table.
 */
export type FlagOutcome =
  | { kind: 'updated' }
  | { kind: 'invalid-input'; reason: string }
  | { kind: 'config'; reason: string }
  | { kind: 'not-resolved'; reason: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'auth'; reason: string }
  | { kind: 'throttled'; reason: string }
  | { kind: 'upstream'; reason: string }
  | { kind: 'timeout'; reason: string }
  /** A bug in this function. The contract has no status for it; the flow should treat it as transient. */
  | { kind: 'internal'; reason: string };

const STATUS_BY_OUTCOME: Record<FlagOutcome['kind'], FlagStatus> = {
  updated: 'UPDATED',
  'invalid-input': 'INVALID_INPUT',
  config: 'CONFIG_ERROR',
  'not-resolved': 'PARTICIPANT_NOT_FOUND',
  rejected: 'REJECTED',
  auth: 'AUTH_FAILED',
  throttled: 'RATE_LIMITED',
  upstream: 'UPSTREAM_ERROR',
  timeout: 'TIMEOUT',
  internal: 'UPSTREAM_ERROR',
};

export function statusOf(outcome: FlagOutcome): FlagStatus {
  return STATUS_BY_OUTCOME[outcome.kind];
}

export interface ResultFacts {
  attempts: number;
  httpStatus: number;
  elapsedMs: number;
  contextId?: string;
  requestId: string;
  participantId?: string | undefined;
}

export function toResult(outcome: FlagOutcome, facts: ResultFacts): FlagResult {
  const status = statusOf(outcome);
  return {
    status,
    updated: status === 'UPDATED',
    attempts: facts.attempts,
    httpStatus: facts.httpStatus,
    elapsedMs: Math.max(0, Math.round(facts.elapsedMs)),
    message: outcome.kind === 'updated' ? 'attributes set' : outcome.reason,
    correlationId: facts.contextId || facts.requestId,
    participantId: facts.participantId ?? '',
  };
}
