/** Fault matrix rows: the queue door, one SQS batch per row, records flagged concurrently by lib/queue/batch.ts. */
import { randomUUID } from 'node:crypto';
import {
  NEVER,
  envelope,
  many,
  mostAttemptsWithin,
  record,
  untilDeadline,
  type BatchCase,
  type BatchRow,
} from '../matrix';

const BATCH_DEADLINE_MS = 800;
const MIXED: BatchCase[] = [
  record('ok', 'UPDATED', 1),
  {
    id: 'eventbridge',
    status: 'UPDATED',
    api: 1,
    body: (ctx) => envelope({ ...ctx.conversation(), attributes: { compliance_checked: 'true' } }),
  },
  {
    id: 'lookup',
    status: 'UPDATED',
    api: 2,
    body: (ctx) =>
      JSON.stringify({
        conversationId: ctx.conversation().conversationId,
        participantId: null,
        compliance_checked: true,
      }),
  },
  // Created before the batch starts, so a record that starts late may find it at once.
  record('late-participant', 'UPDATED', { min: 1, max: mostAttemptsWithin(300) + 1 }, [], {
    resolveAfterMs: 300,
  }),
  record('never-resolves', 'PARTICIPANT_NOT_FOUND', untilDeadline(BATCH_DEADLINE_MS), [], {
    resolveAfterMs: NEVER,
  }),
  record('429-then-ok', 'UPDATED', 2, [{ status: 429, retryAfter: '0' }]),
  record('429-retry-after-30', 'RATE_LIMITED', 1, [{ status: 429, retryAfter: '30' }]),
  record('500-then-ok', 'UPDATED', 2, [{ status: 500 }]),
  record('503-every-time', 'UPSTREAM_ERROR', untilDeadline(BATCH_DEADLINE_MS), many(200, { status: 503 })),
  record('reset-then-ok', 'UPDATED', 2, [{ reset: true }]),
  record('hang-then-ok', 'UPDATED', 2, [{ hang: true }]),
  // 0-300, 305-605, then 615 with 185 ms left: cut by the deadline, reported as the last answer.
  record('hang-every-time', 'UPSTREAM_ERROR', { min: 2, max: 3 }, many(5, { hang: true })),
  record('slow-2xx-body', 'UPDATED', 1, [{ slowBodyMs: 1000 }]),
  record('2xx-malformed', 'UPDATED', 1, [{ status: 200, body: 'not json{' }]),
  record('400', 'REJECTED', 1, [{ status: 400 }]),
  record('403', 'AUTH_FAILED', 1, [{ status: 403 }]),
  record('401-then-ok', 'UPDATED', 2, [{ status: 401 }]),
  record('401-twice', 'AUTH_FAILED', 2, [{ status: 401 }, { status: 401 }]),
  { id: 'malformed-body', status: 'INVALID_INPUT', api: 0, body: () => '{"conversationId": "4f1c7c36-' },
  {
    id: 'invalid-event',
    status: 'INVALID_INPUT',
    api: 0,
    body: () => JSON.stringify({ conversationId: 'not-a-uuid', compliance_checked: true }),
  },
  {
    id: 'traversal-id',
    status: 'INVALID_INPUT',
    api: 0,
    body: () => JSON.stringify({ conversationId: randomUUID(), participantId: '../../oauth/token', risk_level: 'x' }),
  },
  {
    id: 'nested-value',
    status: 'INVALID_INPUT',
    api: 0,
    body: (ctx) => JSON.stringify({ ...ctx.conversation(), risk_level: { b: 'c' } }),
  },
];

export const BATCH_ROWS: BatchRow[] = [
  {
    case: 'a mixed batch',
    fault:
      `${MIXED.length} records: ${MIXED.map((r) => r.id).join(', ')}; attempt timeout 300 ms, ` +
      `deadline ${BATCH_DEADLINE_MS} ms, concurrency 5`,
    // One token, plus one per 401 that dropped the shared token (three: a refused token is never
    // handed out again), unless a refresh already under way is shared or no record needs one after.
    token: { min: 2, max: 4 },
    env: { FLAG_DEADLINE_MS: String(BATCH_DEADLINE_MS), FLAG_ATTEMPT_TIMEOUT_MS: '300' },
    records: MIXED,
  },
  {
    case: 'token endpoint 5xx at the start of a batch',
    fault: 'POST /oauth/token 503 once; 5 plain records, concurrency 5',
    // All five wait on one token request, and retry on one more.
    token: 2,
    prepare: (ctx) => ctx.script('token', [{ status: 503 }]),
    records: ['a', 'b', 'c', 'd', 'e'].map((id) => record(id, 'UPDATED', 1)),
  },
  {
    case: 'secret missing for the whole batch',
    fault: 'no such secret; 4 plain records and a malformed one',
    token: 0,
    noSecret: true,
    records: [
      ...['a', 'b', 'c', 'd'].map((id) => record(id, 'CONFIG_ERROR', 0)),
      { id: 'malformed-body', status: 'INVALID_INPUT', api: 0, body: () => 'not json' },
    ],
  },
];
