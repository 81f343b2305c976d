/**
 * The HTTPS door's rules (createWebhook) with the container's dependencies passed in: a scripted
 * secret source, Genesys as HTTP answers, a virtual clock. Which status each request gets, at the
 * bounds of each rule (body size, content type, JSON), and that nothing secret reaches an answer or
 * a log line. Over real HTTP behind a local API Gateway: test/integration/webhook.test.ts.
 */
import type { SecretFetch } from '../../lib/aws/secret-source';
import { MIN_TOKEN_LENGTH, TOKEN_REFRESH_INTERVAL_MS } from '../../lib/http/bearer-auth';
import { createWebhook, MAX_BODY_BYTES, webhookRequestOf, type WebhookRequest } from '../../lib/http/flag-endpoint';
import {
  ACCESS_TOKEN,
  ATTRIBUTE_SENTINEL,
  CLIENT_SECRET,
  CONVERSATION_ID,
  CREDENTIALS,
  CREDENTIALS_SECRET_ID,
  PARTICIPANT_ID,
  fakeContainerDeps,
} from './fakes';

const TOKEN = 'webhook-token-sentinel-3b9f61c2';
const TOKEN_SECRET_ID = 'webhook/token';
const ENV = { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_SECRET_ID, WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET_ID };
const EVENT = JSON.stringify({
  conversationId: CONVERSATION_ID,
  participantId: PARTICIPANT_ID,
  verification_method: ATTRIBUTE_SENTINEL,
});

function setup(env: Record<string, string> = ENV) {
  const { clock, secrets, genesys, log, deps } = fakeContainerDeps({
    [CREDENTIALS_SECRET_ID]: CREDENTIALS,
    [TOKEN_SECRET_ID]: TOKEN,
  });
  const webhook = createWebhook(env, deps);
  /** Answers and log lines hold none of these. */
  const leaks = (text: string) =>
    [TOKEN, CLIENT_SECRET, ACCESS_TOKEN, ATTRIBUTE_SENTINEL].filter((secret) => text.includes(secret));
  return { webhook, clock, secrets, genesys, log, leaks };
}

const request = (body: string | undefined, headers: Record<string, string> = {}): WebhookRequest => ({
  method: 'POST',
  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
  ...(body === undefined ? {} : { body }),
  isBase64Encoded: false,
});
const invocation = { requestId: 'req-1', remainingMs: 10_000 };
const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe('webhookRequestOf: an API Gateway event, read defensively', () => {
  test('payload 2.0: the method from requestContext.http, headers and body as they are', () => {
    expect(
      webhookRequestOf({
        requestContext: { http: { method: 'POST' } },
        headers: { authorization: 'Bearer a', 'content-type': 'application/json' },
        body: '{}',
        isBase64Encoded: false,
      }),
    ).toEqual({
      method: 'POST',
      headers: { authorization: 'Bearer a', 'content-type': 'application/json' },
      body: '{}',
      isBase64Encoded: false,
    });
  });

  test('payload 1.0: httpMethod, and header names lower-cased', () => {
    expect(
      webhookRequestOf({ httpMethod: 'POST', headers: { Authorization: 'Bearer a', 'Content-Type': 'x' }, body: 'b' }),
    ).toEqual({
      method: 'POST',
      headers: { authorization: 'Bearer a', 'content-type': 'x' },
      body: 'b',
      isBase64Encoded: false,
    });
  });

  test('what is not a string is left out; only `true` means base64', () => {
    expect(
      webhookRequestOf({
        requestContext: { http: { method: 7 } },
        httpMethod: ['POST'],
        headers: { authorization: ['Bearer a'], 'x-n': 5, 'x-ok': 'v' },
        body: { conversationId: 'x' },
        isBase64Encoded: 'true',
      }),
    ).toEqual({ method: '', headers: { 'x-ok': 'v' }, isBase64Encoded: false });
  });

  test.each([null, undefined, 'POST', 42, [], { requestContext: null, headers: 'x' }])(
    '%p is no request: no method, nothing else',
    (event) => {
      expect(webhookRequestOf(event)).toEqual({ method: '', headers: {}, isBase64Encoded: false });
    },
  );
});

describe('the answers', () => {
  test('a flag request is 200 with the flat status; the PATCH carries the attributes', async () => {
    const s = setup();
    const response = await s.webhook.handle(request(EVENT), invocation);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyOf(response)).toMatchObject({
      status: 'UPDATED',
      updated: true,
      attempts: 1,
      participantId: PARTICIPANT_ID,
    });
    const patch = s.genesys.requests.find((r) => r.method === 'PATCH');
    expect(patch?.url).toBe(
      `https://api.mypurecloud.ie/api/v2/conversations/${CONVERSATION_ID}/participants/${PARTICIPANT_ID}/attributes`,
    );
    expect(JSON.parse(patch?.body ?? '')).toEqual({ attributes: { verification_method: ATTRIBUTE_SENTINEL } });
    expect(s.leaks(response.body)).toEqual([]);
    expect(s.leaks(s.log.text())).toEqual([]);
  });

  test.each(['GET', 'PUT', '', 'POSTX'])('method %p is 405, before anything is read', async (method) => {
    const s = setup();
    const response = await s.webhook.handle({ ...request(EVENT), method }, invocation);
    expect(response).toEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
      body: JSON.stringify({ message: 'use POST' }),
    });
    expect(s.secrets.reads).toEqual([]);
  });

  test('the method is case-insensitive', async () => {
    expect((await setup().webhook.handle({ ...request(EVENT), method: 'post' }, invocation)).statusCode).toBe(200);
  });

  test.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-000000000000' }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('%s: 401 with a Bearer challenge, and nothing reaches Genesys', async (_case, headers) => {
    const s = setup();
    const req = request(EVENT, headers);
    if (!('authorization' in headers)) delete (req.headers as Record<string, string>).authorization;
    const response = await s.webhook.handle(req, invocation);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(s.genesys.requests).toEqual([]);
    expect(s.log.text()).not.toContain('wrong-token');
  });

  test('no token secret configured, an unreadable one, or one too short: 503, never open', async () => {
    const unset = setup({ GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_SECRET_ID });
    expect((await unset.webhook.handle(request(EVENT), invocation)).statusCode).toBe(503);

    const missing = setup();
    delete missing.secrets.values[TOKEN_SECRET_ID];
    expect((await missing.webhook.handle(request(EVENT), invocation)).statusCode).toBe(503);

    const short = setup();
    const shortToken = 't'.repeat(MIN_TOKEN_LENGTH - 1);
    short.secrets.values[TOKEN_SECRET_ID] = shortToken;
    const response = await short.webhook.handle(request(EVENT, { authorization: `Bearer ${shortToken}` }), invocation);
    expect(response).toMatchObject({
      statusCode: 503,
      body: JSON.stringify({ message: 'authentication unavailable' }),
    });
    expect(short.genesys.requests).toEqual([]);
  });

  test.each([
    ['text/plain', 415],
    ['', 415],
    ['application/jsonx', 415],
    ['application/json+x', 415],
    ['application/json; charset=utf-8', 200],
    ['APPLICATION/JSON', 200],
    [' application/json ;charset=utf-8', 200],
  ])('content type %p: %i', async (type, status) => {
    expect((await setup().webhook.handle(request(EVENT, { 'content-type': type }), invocation)).statusCode).toBe(
      status,
    );
  });

  test('no content type at all is 415', async () => {
    const req = request(EVENT);
    delete (req.headers as Record<string, string>)['content-type'];
    expect((await setup().webhook.handle(req, invocation)).statusCode).toBe(415);
  });

  test.each([
    ['cut short', '{"conversationId": '],
    ['empty', ''],
    ['absent', undefined],
  ])('a body that is not JSON (%s) is 400 with INVALID_INPUT, nothing sent', async (_case, body) => {
    const s = setup();
    const response = await s.webhook.handle(request(body), invocation);
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ status: 'INVALID_INPUT', message: 'the body is not JSON', attempts: 0 });
    expect(s.genesys.requests).toEqual([]);
  });

  test.each([
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a string', '"flag me"'],
    ['an event with a bad id', JSON.stringify({ conversationId: 'x', risk_level: 'y' })],
  ])('JSON that is no event (%s) is 200 with INVALID_INPUT: the flow branches on it', async (_case, body) => {
    const s = setup();
    const response = await s.webhook.handle(request(body), invocation);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ status: 'INVALID_INPUT', attempts: 0, updated: false });
    expect(s.genesys.requests).toEqual([]);
  });

  test('a bug is 500 with nothing of it in the answer; the log names it without its message', async () => {
    const s = setup();
    s.secrets.answer = async () => {
      throw new TypeError(`a bug quoting ${CLIENT_SECRET}`);
    };
    const response = await s.webhook.handle(request(EVENT), invocation);
    expect(response).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'internal error' }),
    });
    expect(s.log.lines.find((l) => l.message === 'unexpected error')).toMatchObject({
      requestId: 'req-1',
      error: { name: 'TypeError' },
    });
    expect(s.leaks(s.log.text())).toEqual([]);
  });
});

describe('the body size limit, at its bounds', () => {
  /** `EVENT` padded with JSON whitespace to exactly `bytes` bytes. */
  const padded = (bytes: number) => EVENT + ' '.repeat(bytes - Buffer.byteLength(EVENT));

  test(`exactly ${MAX_BODY_BYTES} bytes is a flag request; one byte more is 413`, async () => {
    const s = setup();
    expect(await s.webhook.handle(request(padded(MAX_BODY_BYTES)), invocation)).toMatchObject({ statusCode: 200 });
    const over = await s.webhook.handle(request(padded(MAX_BODY_BYTES + 1)), invocation);
    expect(over).toMatchObject({
      statusCode: 413,
      body: JSON.stringify({ message: 'the body must be at most 65536 bytes' }),
    });
    expect(s.genesys.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  test('the limit is in UTF-8 bytes, not characters', async () => {
    const s = setup();
    // Two-byte characters: half the limit in characters, one byte over it in bytes.
    const body = `"${'é'.repeat(MAX_BODY_BYTES / 2 - 1)}"`;
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect((await s.webhook.handle(request(body), invocation)).statusCode).toBe(200);
    expect((await s.webhook.handle(request(`${body} `), invocation)).statusCode).toBe(413);
  });

  test('base64: the decoded size counts; exactly the limit passes, one byte more is 413', async () => {
    const s = setup();
    const encoded = (bytes: number) => ({
      ...request(Buffer.from(padded(bytes)).toString('base64')),
      isBase64Encoded: true,
    });
    expect((await s.webhook.handle(encoded(MAX_BODY_BYTES), invocation)).statusCode).toBe(200);
    expect((await s.webhook.handle(encoded(MAX_BODY_BYTES + 1), invocation)).statusCode).toBe(413);
    // Far over: refused on its encoded length, before anything is decoded.
    expect((await s.webhook.handle(encoded(10 * MAX_BODY_BYTES), invocation)).statusCode).toBe(413);
  });

  test('a base64 flag is decoded before it is parsed', async () => {
    const s = setup();
    const response = await s.webhook.handle(
      { ...request(Buffer.from(EVENT).toString('base64')), isBase64Encoded: true },
      invocation,
    );
    expect(bodyOf(response)).toMatchObject({ status: 'UPDATED' });
  });

  test('the size is checked only after the token: an unauthenticated giant body is 401', async () => {
    const s = setup();
    const response = await s.webhook.handle(request(padded(MAX_BODY_BYTES + 1), { authorization: '' }), invocation);
    expect(response.statusCode).toBe(401);
  });
});

describe("the bearer secret's cache and the deadline", () => {
  test('the bearer secret is cached at least a minute, whatever SECRET_CACHE_MAX_AGE_MS says', async () => {
    const s = setup({ ...ENV, SECRET_CACHE_MAX_AGE_MS: '0' });
    await s.webhook.handle(request(EVENT), invocation);
    s.clock.advance(TOKEN_REFRESH_INTERVAL_MS - 1);
    await s.webhook.handle(request(EVENT), invocation);
    expect(s.secrets.readsOf(TOKEN_SECRET_ID)).toBe(1);
    s.clock.advance(1);
    await s.webhook.handle(request(EVENT), invocation);
    expect(s.secrets.readsOf(TOKEN_SECRET_ID)).toBe(2);
  });

  test("a slow bearer secret read is taken from the flag's deadline, not added to it", async () => {
    const s = setup({ ...ENV, FLAG_DEADLINE_MS: '4000', FLAG_INIT_PREFETCH_MS: '0' });
    const real = s.secrets.answer;
    s.secrets.answer = async (id, signal): Promise<SecretFetch> => {
      if (id === TOKEN_SECRET_ID) s.clock.advance(4000);
      return real(id, signal);
    };
    const response = await s.webhook.handle(request(EVENT), invocation);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ status: 'TIMEOUT', attempts: 0 });
    expect(s.genesys.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
  });
});

test('prefetch reads the bearer secret alongside the Genesys secret and token', async () => {
  const s = setup();
  await s.webhook.prefetch();
  expect(s.secrets.readsOf(TOKEN_SECRET_ID)).toBe(1);
  expect(s.secrets.readsOf(CREDENTIALS_SECRET_ID)).toBe(1);
  expect(s.genesys.requests.map((r) => r.url)).toEqual(['https://login.mypurecloud.ie/oauth/token']);
  await s.webhook.handle(request(EVENT), invocation);
  expect(s.secrets.reads).toHaveLength(2);
  expect(s.genesys.requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
});
