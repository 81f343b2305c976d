/**
 * Door for HTTPS callers (a Genesys Web Services data action, or any system that can only call a
 * URL): API Gateway HTTP API, payload format 2.0 (1.0 is read too), `POST /flag` with a bearer token.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createWebhook, webhookRequestOf } from '../lib/http/flag-endpoint';

const webhook = createWebhook(process.env);
// In the init, so that a container started ahead of traffic has the secrets and a token ready (see Flagger.prefetch).
await webhook.prefetch();

export const handler = (
  event: APIGatewayProxyEventV2 | APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> =>
  webhook.handle(webhookRequestOf(event), {
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
  });
