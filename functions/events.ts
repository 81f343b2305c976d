/**
 * Door for event-driven flagging: an SQS queue (fed directly, or by an EventBridge rule on
 * "Identity Verified") with ReportBatchItemFailures. Returns the records that must be redelivered.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { batchRecords, flagBatch } from '../lib/queue/batch';
import { createFlagger } from '../lib/create-flagger';

const flagger = createFlagger(process.env);
// Lambda freezes an environment as soon as its init ends: work started at load must end within it.
// A container initialised ahead of traffic thus reads the secret and gets a token here, bounded by
// FLAG_INIT_PREFETCH_MS; what it could not do, the first invocation does.
await flagger.prefetch();

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const records = batchRecords(event, flagger.logger, context.awsRequestId);
  const { failedIds } = await flagBatch(records, flagger, {
    requestId: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
    concurrency: flagger.config?.batchConcurrency ?? 1,
  });
  return { batchItemFailures: failedIds.map((itemIdentifier) => ({ itemIdentifier })) };
};
