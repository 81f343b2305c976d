/**
 * Door for event-driven flagging: an SQS queue (fed directly, or by an EventBridge rule on
 * "Identity Verified") with ReportBatchItemFailures. Returns the records that must be redelivered.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { batchRecords, flagBatch } from '../lib/queue/batch';
import { createPacer } from '../lib/queue/pacer';
import { bodyRulesFrom } from '../lib/queue/message-body';
import { createFlagger } from '../lib/create-flagger';
import { sleep } from '../lib/deadline';

const flagger = createFlagger(process.env);
// Shared by every batch of the container: records start at most one per BATCH_START_INTERVAL_MS.
const pace = createPacer(flagger.config?.batchStartIntervalMs ?? 0, Date.now, sleep);
const bodyRules = bodyRulesFrom(process.env);
// In the init, so that a container started ahead of traffic has the secret and a token ready (see Flagger.prefetch).
await flagger.prefetch();

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const records = batchRecords(event, flagger.logger, context.awsRequestId);
  const { failedIds } = await flagBatch(records, flagger, {
    requestId: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
    concurrency: flagger.config?.batchConcurrency ?? 1,
    pace,
    bodyRules,
  });
  return { batchItemFailures: failedIds.map((itemIdentifier) => ({ itemIdentifier })) };
};
