/**
 * Door for event-driven flagging: an SQS queue (fed directly, or by an EventBridge rule on
 * "Identity Verified") with ReportBatchItemFailures. Returns the records that must be redelivered.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createQueueDoor } from '../lib/queue/batch';

const door = createQueueDoor(process.env);
// In the init, so that a container started ahead of traffic has the secret and a token ready (see Flagger.prefetch).
await door.prefetch();

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const invocation = { requestId: context.awsRequestId, remainingMs: () => context.getRemainingTimeInMillis() };
  const { failedIds } = await door.handle(event, invocation);
  return { batchItemFailures: failedIds.map((itemIdentifier) => ({ itemIdentifier })) };
};
