/**
 * Flags the records of one queue batch concurrently (bounded, and paced when a pacer is given) and
 * says which ones must come back.
 * Each record gets its deadline from the Lambda's remaining time when it starts, so the batch
 * answers before the Lambda times out. Every record that did not end UPDATED is reported as a
 * failure: the queue redelivers it, and after maxReceiveCount the dead-letter queue keeps it. The
 * PATCH sets the same values again, so a redelivery is harmless.
 */
import { unwrapMessageBody } from './message-body';
import type { BodyRules } from '../config';
import { createContainer, type ContainerDeps } from '../container';
import type { Env } from '../config';
import { flaggerOf, type Flagger } from '../flagger';
import type { Logger } from '../log';
import { createPacer, type Pacer } from './pacer';
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
  /** Where the batch's own line goes ("batch done", with counts by status); none: not logged. */
  logger?: Logger;
  /** The Lambda's remaining time, read when each record starts. */
  remainingMs?: (() => number) | undefined;
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
      return flagger.refuse(unwrapped.error, { requestId: options.requestId, logFields: { messageId: record.id } })
        .status;
    }
    await options.pace?.();
    const { event, envelope } = unwrapped.value;
    const result = await flagger.flag(event, {
      requestId: options.requestId,
      remainingMs: options.remainingMs?.(),
      logFields: { messageId: record.id, envelope },
    });
    return result.status;
  });

  statuses.forEach((status, index) => {
    counts[status] += 1;
    const record = records[index];
    if (status !== 'UPDATED' && record) failedIds.push(record.id);
  });
  options.logger?.info('batch done', {
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
  // `|| 1`: a limit that is no number (NaN) would start no worker and leave every result unset.
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length) || 1) }, worker));
  return results;
}

/** The queue door's logic, without AWS event types: a batch in, the message ids to redeliver out. */
export interface QueueDoor {
  /** Never throws; `remainingMs` is the Lambda's remaining time, read as each record starts. */
  handle(
    event: unknown,
    invocation: { requestId: string; remainingMs?: (() => number) | undefined },
  ): Promise<BatchOutcome>;
  /** The secret and a token read ahead of traffic (see Flagger.prefetch); never throws. */
  prefetch(): Promise<void>;
}

/**
 * The queue door as a container builds it: its flagger, the bodies the stack's senders may send
 * (BodyRules), its concurrency, and a pacer shared by every batch of the container.
 */
export function createQueueDoor(env: Env, deps: Partial<ContainerDeps> = {}): QueueDoor {
  const container = createContainer(env, deps);
  const flagger = flaggerOf(container);
  const { config, logger } = container;
  // The container's sleep (injected in tests), with a signal that never aborts: a pacing wait is
  // bounded by the interval alone.
  const never = new AbortController().signal;
  const pace = createPacer(config.batchStartIntervalMs, container.now, (ms) => container.flagDeps.sleep(ms, never));
  return {
    prefetch: () => flagger.prefetch(),
    handle: (event, invocation) =>
      flagBatch(batchRecords(event, logger, invocation.requestId), flagger, {
        requestId: invocation.requestId,
        logger,
        remainingMs: invocation.remainingMs,
        concurrency: config.batchConcurrency,
        bodyRules: config.queueBodies,
        pace,
      }),
  };
}
