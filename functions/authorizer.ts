/**
 * API Gateway's Lambda authorizer of POST /flag (HTTP API, payload 2.0, simple responses), in front
 * of the webhook door and not a door itself: `isAuthorized` for a right or wrong bearer token; an
 * error when the token's secret cannot be read, which API Gateway answers with 500 (the webhook-5xx
 * alarm) instead of a 403 that would hide it.
 */
import type { Context } from 'aws-lambda';
import { createAuthorizer } from '../lib/http/authorizer';

const authorizer = createAuthorizer(process.env);
// In the init, so that a container started ahead of traffic has the token's secret read.
await authorizer.prefetch();

export const handler = async (event: unknown, context: Context): Promise<{ isAuthorized: boolean }> => {
  const verdict = await authorizer.authorize(event, {
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
  });
  if (verdict === 'unavailable') throw new Error('authentication unavailable');
  return { isAuthorized: verdict === 'ok' };
};
