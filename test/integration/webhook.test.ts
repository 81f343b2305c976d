/**
 * The HTTPS door's rules over real HTTP: the webhook (configured from the environment as in AWS)
 * behind a local API Gateway HTTP API adapter, called with fetch.
 */
import { LocalHttpApi } from '../emulators/http-api';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createWebhook, webhookRequestOf } from '../../lib/http/flag-endpoint';
import { createLogger } from '../../lib/log';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

const TOKEN = 'webhook-token-3b9f61c2d8e54a07';
const TOKEN_SECRET = 'genesys/flagger/webhook-token';

let h: Harness;
let api: LocalHttpApi;
let base64Api: LocalHttpApi;

beforeAll(async () => {
  h = await startHarness();
  h.secrets.put(TOKEN_SECRET, TOKEN);
  Object.assign(process.env, h.env, { WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET, LOG_LEVEL: 'error' });
  // What functions/webhook.ts does, configured from the environment as in Lambda (the door itself,
  // an ES module that prefetches at load, runs in AWS's runtime client in test/runtime).
  const webhook = createWebhook(process.env);
  const handler = (event: APIGatewayProxyEventV2, context: Context) =>
    webhook.handle(webhookRequestOf(event), {
      requestId: context.awsRequestId,
      remainingMs: context.getRemainingTimeInMillis(),
    });
  api = await LocalHttpApi.start([{ method: 'POST', path: '/flag', handler }]);
  base64Api = await LocalHttpApi.start([{ method: 'POST', path: '/flag', handler }], { base64Bodies: true });
});

afterAll(async () => {
  await Promise.all([api?.close(), base64Api?.close(), h?.close()]);
});

const post = (body: string, headers: Record<string, string> = {}, target = api) =>
  fetch(`${target.url}/flag`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });

test('happy path: 200 with the flat status, participant flagged', async () => {
  const { conversationId, participantId } = newConversation(h.genesys);
  const response = await post(JSON.stringify({ conversationId, participantId, compliance_checked: true }));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(await response.json()).toMatchObject({ status: 'UPDATED', updated: true, participantId });
  expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
});

test('a base64-encoded body (isBase64Encoded) is decoded', async () => {
  const { conversationId, participantId } = newConversation(h.genesys);
  const response = await post(
    JSON.stringify({ conversationId, participantId, attributes: { risk_level: 'low' } }),
    {},
    base64Api,
  );
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ status: 'UPDATED' });
  expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ risk_level: 'low' });
});

test('every outcome of a valid request is 200: the caller branches on status', async () => {
  const { conversationId, participantId } = newConversation(h.genesys);
  h.genesys.script('patch-attributes', [{ status: 409, code: 'conflict' }], conversationId);
  const response = await post(JSON.stringify({ conversationId, participantId, risk_level: 'x' }));
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ status: 'REJECTED', httpStatus: 409 });
});

// Every other outcome of an authenticated JSON request, over HTTP as a Web Services data action
// sees it: 200 and the flat status, never a non-2xx the action would turn into Failure (and no
// output). A webhook of its own with a short deadline keeps the slow outcomes fast.
describe('every outcome is 200 with the flat status', () => {
  const DEADLINE_MS = 700;
  const started: LocalHttpApi[] = [];
  const serve = async (extraEnv: Record<string, string> = {}) => {
    const webhook = createWebhook(
      {
        ...h.env,
        WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET,
        FLAG_DEADLINE_MS: String(DEADLINE_MS),
        FLAG_ATTEMPT_TIMEOUT_MS: String(DEADLINE_MS),
        FLAG_INIT_PREFETCH_MS: '0',
        ...extraEnv,
      },
      { logger: createLogger({ sink: () => undefined }) },
    );
    const handler = (event: APIGatewayProxyEventV2, context: Context) =>
      webhook.handle(webhookRequestOf(event), {
        requestId: context.awsRequestId,
        remainingMs: context.getRemainingTimeInMillis(),
      });
    const server = await LocalHttpApi.start([{ method: 'POST', path: '/flag', handler }]);
    started.push(server);
    return server;
  };
  let fast: LocalHttpApi;
  beforeAll(async () => {
    fast = await serve();
    // Warm: the secret and a token cached, so each outcome below spends its whole deadline on Genesys.
    expect((await post(JSON.stringify({ ...newConversation(h.genesys), risk_level: 'warm' }), {}, fast)).status).toBe(
      200,
    );
  });
  afterAll(() => Promise.all(started.map((server) => server.close())));

  const flagged = async (event: Record<string, unknown>, target = fast) => {
    const response = await post(JSON.stringify(event), {}, target);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    return (await response.json()) as Record<string, unknown>;
  };

  test('PARTICIPANT_NOT_FOUND: still 404 at the deadline', async () => {
    const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 60_000 });
    const result = await flagged({ conversationId, participantId, risk_level: 'x' });
    expect(result).toMatchObject({ status: 'PARTICIPANT_NOT_FOUND', updated: false, httpStatus: 404 });
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.elapsedMs).toBeLessThanOrEqual(DEADLINE_MS);
  });

  test('AUTH_FAILED: 403, the client lacks a role', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status: 403, code: 'missing.permissions' }], conversationId);
    expect(await flagged({ conversationId, participantId, risk_level: 'x' })).toMatchObject({
      status: 'AUTH_FAILED',
      updated: false,
      attempts: 1,
      httpStatus: 403,
    });
  });

  test('CONFIG_ERROR: the credentials secret is missing while the bearer token is fine', async () => {
    const misconfigured = await serve({ GENESYS_CREDENTIALS_SECRET_ID: 'no/such/credentials' });
    const before = h.genesys.requests.length;
    const result = await flagged({ ...newConversation(h.genesys), risk_level: 'x' }, misconfigured);
    expect(result).toMatchObject({ status: 'CONFIG_ERROR', updated: false, attempts: 0, httpStatus: 0 });
    expect(result.message).toContain('ResourceNotFoundException');
    expect(h.genesys.requests.length).toBe(before);
  });

  test('RATE_LIMITED: a Retry-After beyond the deadline', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status: 429, retryAfter: '30' }], conversationId);
    expect(await flagged({ conversationId, participantId, risk_level: 'x' })).toMatchObject({
      status: 'RATE_LIMITED',
      updated: false,
      attempts: 1,
      httpStatus: 429,
    });
  });

  test('UPSTREAM_ERROR: still 5xx at the deadline', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script(
      'patch-attributes',
      Array.from({ length: 200 }, () => ({ status: 503 })),
      conversationId,
    );
    const result = await flagged({ conversationId, participantId, risk_level: 'x' });
    expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', updated: false, httpStatus: 503 });
    expect(result.attempts).toBeGreaterThan(1);
  });

  test('TIMEOUT: the deadline falls inside a PATCH that never answers', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ hang: true }], conversationId);
    const before = Date.now();
    expect(await flagged({ conversationId, participantId, risk_level: 'x' })).toMatchObject({
      status: 'TIMEOUT',
      updated: false,
      attempts: 1,
      httpStatus: 0,
    });
    expect(Date.now() - before).toBeLessThan(DEADLINE_MS + 1000); // the deadline, not the 5 s attempt timeout
  });
});

describe('refusals touch nothing', () => {
  const event = () => JSON.stringify({ ...newConversation(h.genesys), risk_level: 'x' });

  test.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token-000000000' }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('%s: 401 and no request to Genesys', async (_name, headers) => {
    const before = h.genesys.requests.length;
    const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: event() };
    const response = await fetch(`${api.url}/flag`, init);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(h.genesys.requests.length).toBe(before);
  });

  test('wrong tokens re-read the token secret at most once a minute', async () => {
    const before = h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET).length;
    for (let i = 0; i < 10; i += 1)
      expect((await post(event(), { authorization: `Bearer wrong-${i}-xxxxxxxxxxxxxxxx` })).status).toBe(401);
    expect(h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET).length - before).toBeLessThanOrEqual(1);
  });

  test('a body over 64 KiB is 413', async () => {
    const before = h.genesys.requests.length;
    const response = await post(
      JSON.stringify({ ...newConversation(h.genesys), risk_level: 'x', pad: 'p'.repeat(70_000) }),
    );
    expect(response.status).toBe(413);
    expect(h.genesys.requests.length).toBe(before);
  });

  test('a base64 body over 64 KiB once decoded is 413', async () => {
    const response = await post(JSON.stringify({ risk_level: 'p'.repeat(66_000) }), {}, base64Api);
    expect(response.status).toBe(413);
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', ''])('content type %p is 415', async (type) => {
    const before = h.genesys.requests.length;
    const response = await post(event(), { 'content-type': type });
    expect(response.status).toBe(415);
    expect(h.genesys.requests.length).toBe(before);
  });

  test('application/json with a charset is accepted', async () => {
    const response = await post(event(), { 'content-type': 'application/json; charset=utf-8' });
    expect(response.status).toBe(200);
  });

  // A Web Services data action takes any non-2xx as Failure and hands the flow no output: every
  // flag request answers 200, so the flow sees INVALID_INPUT and its message.
  test.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"flag me"'],
    ['null', 'null'],
    ['an invalid event', JSON.stringify({ conversationId: 'x', risk_level: 'y' })],
    ['an event without attributes', JSON.stringify({ conversationId: '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51' })],
  ])('%s is 200 with INVALID_INPUT and its reason, and nothing is sent', async (_name, body) => {
    const before = h.genesys.requests.length;
    const response = await post(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'INVALID_INPUT',
      attempts: 0,
      updated: false,
      message: expect.any(String),
    });
    expect(h.genesys.requests.length).toBe(before);
  });

  test('a body that is not JSON at all is not a flag request: 400', async () => {
    const before = h.genesys.requests.length;
    const response = await post('{"conversationId": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 'INVALID_INPUT', message: 'the body is not JSON' });
    expect(h.genesys.requests.length).toBe(before);
  });
});

describe('the webhook core (createWebhook)', () => {
  const request = (body: string, token = TOKEN) => ({
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
  });

  test('a rotated token is accepted once the re-read interval has passed', async () => {
    let offset = 0;
    const webhook = createWebhook(
      { ...h.env, WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET },
      { now: () => Date.now() + offset, logger: createLogger({ sink: () => undefined }) },
    );
    const body = JSON.stringify({ ...newConversation(h.genesys), risk_level: 'x' });
    expect((await webhook.handle(request(body), invocation())).statusCode).toBe(200);

    const rotated = 'rotated-token-8c1d2e3f4a5b6c7d';
    h.secrets.put(TOKEN_SECRET, rotated);
    try {
      expect((await webhook.handle(request(body, rotated), invocation())).statusCode).toBe(401); // within the minute
      offset = 61_000;
      expect((await webhook.handle(request(body, rotated), invocation())).statusCode).toBe(200);
      expect((await webhook.handle(request(body, TOKEN), invocation())).statusCode).toBe(401);
    } finally {
      h.secrets.put(TOKEN_SECRET, TOKEN);
    }
  });

  test('no token secret configured, or one that cannot be read, is 503 and never accepts', async () => {
    const quiet = { logger: createLogger({ sink: () => undefined }) };
    const body = JSON.stringify({ ...newConversation(h.genesys), risk_level: 'x' });
    expect((await createWebhook({ ...h.env }, quiet).handle(request(body), invocation())).statusCode).toBe(503);
    expect(
      (
        await createWebhook({ ...h.env, WEBHOOK_TOKEN_SECRET_ID: 'missing/secret' }, quiet).handle(
          request(body),
          invocation(),
        )
      ).statusCode,
    ).toBe(503);
  });

  test('a configured token that is too short is never matched', async () => {
    h.secrets.put('short/token', 'abc');
    const webhook = createWebhook(
      { ...h.env, WEBHOOK_TOKEN_SECRET_ID: 'short/token' },
      { logger: createLogger({ sink: () => undefined }) },
    );
    const body = JSON.stringify({ ...newConversation(h.genesys), risk_level: 'x' });
    expect((await webhook.handle(request(body, 'abc'), invocation())).statusCode).toBe(503);
  });

  test('methods other than POST are 405', async () => {
    const webhook = createWebhook(
      { ...h.env, WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET },
      { logger: createLogger({ sink: () => undefined }) },
    );
    expect((await webhook.handle({ ...request('{}'), method: 'GET' }, invocation())).statusCode).toBe(405);
  });
});
