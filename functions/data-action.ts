/**
 * Door for the Genesys Cloud "AWS Lambda data actions" integration: the data action's input
 * contract arrives as the event (flat, or nested under `attributes`), and the flat FlagResult goes
 * back as `${rawResult}` for the output contract. Never throws: a flow branches on `status`.
 */
import type { Context } from 'aws-lambda';
import { createFlagger } from '../lib/flagger';
import type { FlagResult } from '../lib/core/flag-result';

const flagger = createFlagger(process.env);
// In the init, so that a container started ahead of traffic has the secret and a token ready (see Flagger.prefetch).
await flagger.prefetch();

export const handler = (event: unknown, context: Context): Promise<FlagResult> =>
  flagger.flag(event, { requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() });
