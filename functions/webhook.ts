/**
 * Door for HTTPS callers (a Genesys Web Services data action, or any system that can only call a
 * URL): API Gateway HTTP API, payload format 2.0, `POST /flag` with a bearer token.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createWebhook } from '../lib/http/webhook-handler';

const webhook = createWebhook(process.env);

export const handler = (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> =>
  webhook.handle(
    {
      method: event?.requestContext?.http?.method ?? 'POST',
      headers: event?.headers ?? {},
      ...(event?.body === undefined ? {} : { body: event.body }),
      isBase64Encoded: event?.isBase64Encoded ?? false,
    },
    { requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() },
  );
