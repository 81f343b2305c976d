/**
 * Flags the records of one queue batch concurrently (bounded, and paced when a pacer is given) and
 * says which ones must come back.
 * Each record gets its deadline from the Lambda's remaining time when it starts, so the batch
 * answers before the Lambda times out. Every record that did not end UPDATED is reported as a
 * failure: the queue redelivers it, and after maxReceiveCount the dead-letter queue keeps it. The
 * PATCH sets the same values again, so a redelivery is harmless.
 */
import { unwrapMessageBody, type BodyRules } from './message-body';
import type { Flagger } from '../create-flagger';
import type { Logger } from '../log';
import type { Pacer } from './pacer';
import { FLAG_STATUSES, type FlagStatus } from '../core/flag-result';

export interface BatchRecord {
  /** The queue's message id: what is reported back as a failure. */
  id: string;
  /** The message body as delivered (a JSON string when the sender is well-behaved). */
  body: unknown;
}

/** SQS message ids are UUIDs; anything far longer is not one and is not echoed. */
const MAX_MESSAGE_ID_LENGTH = 256;

/**
 * The records of a queue event that can be flagged and reported. A door must not throw, and an
 * entry without a message id cannot be named in `batchItemFailures` (SQS would fail the whole
 * batch on an empty or unknown id): such entries are logged as errors and left out.
 */
export function batchRecords(event: unknown, logger: Logger, requestId: string): BatchRecord[] {
  const records = typeof event === 'object' && event !== null ? (event as { Records?: unknown }).Records : undefined;
  if (!Array.isArray(records)) {
    logger.error('not a queue event', { requestId, reason: 'the event has no Records list' });
    return [];
  }
  const usable: BatchRecord[] = [];
  records.forEach((record: unknown, index) => {
    const id =
      typeof record === 'object' && record !== null ? (record as { messageId?: unknown }).messageId : undefined;
    if (typeof id !== 'string' || id === '' || id.length > MAX_MESSAGE_ID_LENGTH) {
      logger.error('queue record dropped', {
        requestId,
        index,
        reason: 'the record has no usable messageId, so it cannot be reported for redelivery',
      });
      return;
    }
    usable.push({ id, body: (record as { body?: unknown }).body });
  });
  return usable;
}

export interface BatchOptions {
  requestId: string;
  /** The Lambda's remaining time, read when each record starts. */
  remainingMs?: () => number;
  concurrency: number;
  /** Which bodies the door takes (the stack's QUEUE_ACCEPTS and EVENT_SOURCES). */
  bodyRules: BodyRules;
  /** Waits for the record's turn to start (BATCH_START_INTERVAL_MS); none: records start at once. */
  pace?: Pacer;
}

export interface BatchOutcome {
  failedIds: string[];
  counts: Record<FlagStatus, number>;
}

export async function flagBatch(
  records: readonly BatchRecord[],
  flagger: Flagger,
  options: BatchOptions,
): Promise<BatchOutcome> {
  const counts = Object.fromEntries(FLAG_STATUSES.map((s) => [s, 0])) as Record<FlagStatus, number>;
  const failedIds: string[] = [];

  const statuses = await mapWithConcurrency(records, options.concurrency, async (record): Promise<FlagStatus> => {
    const unwrapped = unwrapMessageBody(record.body, options.bodyRules);
    if (!unwrapped.ok) {
      // Never reaches Genesys; reported as a failure so that it ends in the DLQ where a person sees it.
      return flagger.refuse(unwrapped.reason, { requestId: options.requestId, logFields: { messageId: record.id } })
        .status;
    }
    await options.pace?.();
    const remainingMs = options.remainingMs?.();
    const result = await flagger.flag(unwrapped.event, {
      requestId: options.requestId,
      ...(remainingMs === undefined ? {} : { remainingMs }),
      logFields: { messageId: record.id, envelope: unwrapped.envelope },
    });
    return result.status;
  });

  statuses.forEach((status, index) => {
    counts[status] += 1;
    const record = records[index];
    if (status !== 'UPDATED' && record) failedIds.push(record.id);
  });
  flagger.logger.info('batch done', {
    requestId: options.requestId,
    records: records.length,
    failed: failedIds.length,
    counts,
  });
  return { failedIds, counts };
}

/** Like Promise.all over `items`, with at most `limit` calls of `fn` in flight; results keep their order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
