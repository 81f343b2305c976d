/**
 * Door for HTTPS callers (a Genesys Web Services data action, or any system that can only call a
 * URL): API Gateway HTTP API, payload format 2.0, `POST /flag` with a bearer token.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createWebhook, webhookRequestOf } from '../lib/http/flag-endpoint';

const webhook = createWebhook(process.env);
// Lambda freezes an environment as soon as its init ends: work started at load must end within it.
// A container initialised ahead of traffic thus reads the secrets and gets a token here, bounded by
// FLAG_INIT_PREFETCH_MS; what it could not do, the first invocation does.
await webhook.prefetch();

export const handler = (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> =>
  webhook.handle(webhookRequestOf(event), { requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() });
