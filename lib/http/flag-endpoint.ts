/**
 * The HTTPS door's logic, without AWS event types: an authenticated `POST /flag` with the same
 * event as the data action, answered with the same flat status object. The door in
 * functions/webhook.ts only maps API Gateway's payload to `WebhookRequest` and back.
 *
 * A Genesys Web Services data action treats any non-2xx answer as Failure, and the flow then gets
 * no output at all. So every flag request (an authenticated POST whose body parses as JSON) is
 * answered 200 with the flat status, INVALID_INPUT included; a non-2xx means "not a flag request":
 *
 * | answer | when |
 * |---|---|
 * | 200 + FlagResult | every outcome of an authenticated request whose body is JSON: branch on `status` |
 * | 400 + FlagResult (INVALID_INPUT) | the body is not JSON at all |
 * | 401 | missing or wrong bearer token: nothing else happens |
 * | 405 | not POST |
 * | 413 | body over 64 KiB |
 * | 415 | content type other than application/json |
 * | 503 | the token secret cannot be read (misconfigured or Secrets Manager down) |
 * | 500 | a bug (logged; no details in the answer) |
 */
import { deadlineSignal } from '../deadline';
import { BearerCheck, TOKEN_REFRESH_INTERVAL_MS, type BearerVerdict } from './bearer-auth';
import type { Env } from '../config';
import { createContainer, type ContainerDeps } from '../container';
import { flaggerOf } from '../flagger';
import { parseJson } from '../json';
import { errorFields } from '../log';

export interface WebhookRequest {
  method: string;
  /** Header names in lower case (API Gateway HTTP APIs deliver them so). */
  headers: Readonly<Record<string, string | undefined>>;
  body?: string;
  isBase64Encoded: boolean;
}

/**
 * An API Gateway event as a WebhookRequest, read defensively: a door never throws, whatever shape
 * arrives. The HTTP API's payload 2.0 carries the method in `requestContext.http.method`; payload
 * 1.0 (a REST API, or an HTTP API route set to 1.0) in `httpMethod`, and its headers as sent, so
 * names are lower-cased here. An event with neither is not a POST: it gets 405, never a flag.
 */
export function webhookRequestOf(event: unknown): WebhookRequest {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const http = (e.requestContext as { http?: { method?: unknown } } | undefined)?.http;
  const headers: Record<string, string | undefined> = {};
  if (typeof e.headers === 'object' && e.headers !== null) {
    for (const [name, value] of Object.entries(e.headers))
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const method = typeof http?.method === 'string' ? http.method : typeof e.httpMethod === 'string' ? e.httpMethod : '';
  return {
    method,
    headers,
    ...(typeof e.body === 'string' ? { body: e.body } : {}),
    isBase64Encoded: e.isBase64Encoded === true,
  };
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface Webhook {
  handle(request: WebhookRequest, invocation: { requestId: string; remainingMs?: number }): Promise<WebhookResponse>;
  /** The Genesys secret and token, and the bearer token's secret, read ahead of traffic; never throws. */
  prefetch(): Promise<void>;
}

export const MAX_BODY_BYTES = 64 * 1024;

export function createWebhook(env: Env, deps: Partial<ContainerDeps> = {}): Webhook {
  const container = createContainer(env, deps);
  const flagger = flaggerOf(container);
  const { logger, now } = container;
  const tokenSecretId = container.config.webhookTokenSecretId;
  const bearer = tokenSecretId
    ? new BearerCheck(
        // Cached for SECRET_CACHE_MAX_AGE_MS, but never less than bearer-auth's re-read interval.
        // Anyone can send a request to the webhook, so the cache is all that stands between
        // unauthenticated traffic and Secrets Manager: with this floor no setting lets requests,
        // with any token, read the secret more than once a minute per container. A rotated token
        // costs nothing more: a token that does not match re-reads the secret (rate-limited alike).
        container.cachedSecret(tokenSecretId, {
          minAgeMs: TOKEN_REFRESH_INTERVAL_MS,
          minRefreshIntervalMs: TOKEN_REFRESH_INTERVAL_MS,
        }),
      )
    : undefined;
  if (!bearer) logger.error('configuration invalid', { reason: 'WEBHOOK_TOKEN_SECRET_ID is not set' });

  const handle = async (
    request: WebhookRequest,
    invocation: { requestId: string; remainingMs?: number },
  ): Promise<WebhookResponse> => {
    const header = (name: string): string | undefined => request.headers[name];
    if (request.method.toUpperCase() !== 'POST') return plain(405, 'use POST', { allow: 'POST' });

    // The deadline counts from here: a slow token-secret read is time the flag no longer has.
    const timed = { ...invocation, startedAt: now() };
    const deadline = deadlineSignal(container.deadline(timed), now);
    let verdict: BearerVerdict;
    try {
      verdict = bearer ? await bearer.verify(header('authorization'), deadline.signal) : 'unavailable';
    } finally {
      deadline.dispose();
    }
    if (verdict === 'unavailable') {
      logger.error('webhook authentication unavailable', { requestId: invocation.requestId });
      return plain(503, 'authentication unavailable');
    }
    if (verdict === 'denied') {
      logger.warn('webhook request denied', {
        requestId: invocation.requestId,
        reason: header('authorization') ? 'wrong token' : 'no bearer token',
      });
      return plain(401, 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    }

    const raw = request.body ?? '';
    // Cheap check before decoding: base64 is 4/3 the size of what it encodes.
    if (
      (request.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw, 'utf8')) >
      MAX_BODY_BYTES + 2
    ) {
      return plain(413, `the body must be at most ${MAX_BODY_BYTES} bytes`);
    }
    const bytes = request.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (bytes.length > MAX_BODY_BYTES) return plain(413, `the body must be at most ${MAX_BODY_BYTES} bytes`);

    const mediaType = (header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') return plain(415, 'send the event as application/json');

    const event = parseJson(bytes.toString('utf8'));
    if (!event.ok) return json(400, flagger.refuse('the body is not JSON', timed));
    // Any JSON value is a flag request: what is not an event is INVALID_INPUT, answered 200.
    return json(200, await flagger.flag(event.value, timed));
  };

  return {
    // The bearer secret alongside the flagger's own reads, so the init ends when both have.
    prefetch: () => flagger.prefetch(bearer ? [(signal) => bearer.prefetch(signal)] : []),
    handle: async (request, invocation) => {
      try {
        return await handle(request, invocation);
      } catch (error) {
        logger.error('unexpected error', { requestId: invocation.requestId, error: errorFields(error) });
        return plain(500, 'internal error');
      }
    },
  };
}

function json(statusCode: number, value: unknown): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function plain(statusCode: number, message: string, headers: Record<string, string> = {}): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ message }) };
}
