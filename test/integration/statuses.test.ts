/**
 * Every status a flow can see, produced over real sockets: the real axios client against the
 * Genesys emulator and the real AWS SDK client against the Secrets Manager emulator. Each case
 * asserts the status and exactly what reached Genesys.
 */
import { randomUUID } from 'node:crypto';
import { CONTRACT } from '../../lib/core/attribute-contract';
import { CLIENT_ID, credentialsSecret, SECRET_NAME } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';
import { loggedWaits } from '../support/logged-waits';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  h.genesys.clearFaults();
  h.secrets.clearFaults();
  h.genesys.requests.length = 0;
  h.secrets.requests.length = 0;
  h.secrets.put(SECRET_NAME, credentialsSecret());
});

describe('UPDATED', () => {
  test('one PATCH with the attributes as {"attributes": {...}} of strings', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    // The contract with one more attribute, an integer: numbers are sent as strings too.
    const withScore = new Map([...CONTRACT, ['score', 'integer' as const]]);
    const result = await h
      .flagger({}, { attributes: withScore })
      .flag({ conversationId, participantId, compliance_checked: true, risk_level: 'low', score: 7 }, invocation());

    expect(result).toMatchObject({
      status: 'UPDATED',
      updated: true,
      attempts: 1,
      httpStatus: 202,
      participantId,
      message: 'attributes set',
    });
    const patches = h.genesys.requests.filter((r) => r.route === 'patch-attributes');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.path).toBe(`/api/v2/conversations/${conversationId}/participants/${participantId}/attributes`);
    expect(patches[0]?.contentType).toBe('application/json');
    expect(patches[0]?.rawBody).toBe('{"attributes":{"compliance_checked":"true","risk_level":"low","score":"7"}}');
    expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({
      compliance_checked: 'true',
      risk_level: 'low',
      score: '7',
    });
  });

  test('a participant that resolves late is flagged once it appears, 404s retried', async () => {
    const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 300 });
    const result = await h
      .flagger()
      .flag({ conversationId, participantId, attributes: { compliance_checked: 'true' } }, invocation());

    expect(result.status).toBe('UPDATED');
    const statuses = h.genesys.requests.filter((r) => r.route === 'patch-attributes').map((r) => r.status);
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.slice(0, -1).every((s) => s === 404)).toBe(true);
    expect(statuses.at(-1)).toBe(202);
    expect(result.attempts).toBe(statuses.length);
  });

  test('the correlation id is the Genesys one when Genesys answered', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const inv = invocation();
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, inv);
    expect(result.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.correlationId).not.toBe(inv.requestId);
  });
});

describe('when the flow only knows the conversation', () => {
  test('the customer participant is looked up, then flagged, and returned', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h
      .flagger()
      .flag({ conversationId, participantId: '', compliance_checked: true }, invocation());

    expect(result).toMatchObject({ status: 'UPDATED', participantId, attempts: 2 });
    expect(h.genesys.requests.filter((r) => r.route !== 'token').map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'PATCH 202',
    ]);
    expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
  });

  test('a conversation or participant that is not there yet is retried like a 404', async () => {
    const conversationId = randomUUID();
    const participantId = randomUUID();
    h.genesys.addConversation(conversationId, [{ id: participantId, purpose: 'customer', resolveAfterMs: 300 }], {
      visibleAfterMs: 100,
    });
    const result = await h.flagger().flag({ conversationId, participantId: null, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'UPDATED', participantId });
    const gets = h.genesys.requests.filter((r) => r.route === 'get-conversation').map((r) => r.status);
    expect(gets).toContain(404); // conversation not visible yet
    expect(gets.at(-1)).toBe(200);
    expect(h.genesys.count('patch-attributes')).toBe(1);
  });

  test('participantPurpose chooses another participant; ended ones are skipped', async () => {
    const conversationId = randomUUID();
    const current = randomUUID();
    h.genesys.addConversation(conversationId, [
      { id: randomUUID(), purpose: 'external', endTime: new Date().toISOString() },
      { id: current, purpose: 'external' },
      { id: randomUUID(), purpose: 'customer' },
    ]);
    const result = await h
      .flagger()
      .flag({ conversationId, participantPurpose: 'external', risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', participantId: current });
  });

  test('no such participant before the deadline is PARTICIPANT_NOT_FOUND with an empty participantId', async () => {
    const conversationId = randomUUID();
    h.genesys.addConversation(conversationId, [{ id: randomUUID(), purpose: 'ivr' }]);
    const result = await h.flagger({ FLAG_DEADLINE_MS: '800' }).flag({ conversationId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({
      status: 'PARTICIPANT_NOT_FOUND',
      updated: false,
      participantId: '',
      httpStatus: 200,
    });
    expect(result.message).toContain('no active "customer" participant');
    expect(h.genesys.count('patch-attributes')).toBe(0);
  });
});

describe('PARTICIPANT_NOT_FOUND', () => {
  test('still 404 at the deadline: answers before the deadline, with the number of tries', async () => {
    const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 60_000 });
    const result = await h
      .flagger({ FLAG_DEADLINE_MS: '800' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'PARTICIPANT_NOT_FOUND', updated: false, httpStatus: 404 });
    expect(result.attempts).toBe(h.genesys.count('patch-attributes'));
    expect(result.attempts).toBeGreaterThan(2);
    expect(result.elapsedMs).toBeLessThanOrEqual(800);
  });
});

describe('REJECTED (never retried)', () => {
  test.each([
    [400, 'bad.request'],
    [409, 'conflict'],
    [415, 'unsupported.media.type'],
    [501, 'not.implemented'],
  ])('%i %s is final after one request', async (status, code) => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status, code }], conversationId);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'REJECTED', attempts: 1, httpStatus: status, updated: false });
    expect(result.message).toContain(code);
    expect(h.genesys.count('patch-attributes')).toBe(1);
  });
});

describe('AUTH_FAILED', () => {
  test('403 is final after one request', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status: 403, code: 'missing.permissions' }], conversationId);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 1, httpStatus: 403 });
  });

  test('a 401 gets one fresh token and one retry, which succeeds', async () => {
    const flagger = h.flagger();
    const { conversationId, participantId } = newConversation(h.genesys);
    expect((await flagger.flag({ conversationId, participantId, risk_level: '1' }, invocation())).status).toBe(
      'UPDATED',
    );
    h.genesys.revokeTokens();
    h.genesys.requests.length = 0;

    const result = await flagger.flag({ conversationId, participantId, risk_level: '2' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
    expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
      'patch-attributes 401',
      'token 200',
      'patch-attributes 202',
    ]);
  });

  test('401 again after the refresh is AUTH_FAILED, with exactly one refresh', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script(
      'patch-attributes',
      [
        { status: 401, code: 'bad.credentials' },
        { status: 401, code: 'bad.credentials' },
      ],
      conversationId,
    );
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 2, httpStatus: 401 });
    expect(h.genesys.count('token')).toBe(2);
    expect(h.genesys.count('patch-attributes')).toBe(2);
  });

  test('the login host refusing the client is AUTH_FAILED, and nothing reaches the API', async () => {
    h.secrets.put(SECRET_NAME, credentialsSecret({ clientSecret: 'wrong' }));
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 0, httpStatus: 401 });
    expect(result.message).toContain('invalid_client');
    expect(h.genesys.count('patch-attributes')).toBe(0);
    // The secret was re-read once in case it had been rotated, but it had not: one token request.
    expect(h.secrets.count()).toBe(2);
    expect(h.genesys.count('token')).toBe(1);
  });
});

describe('RATE_LIMITED', () => {
  test('Retry-After is honoured, then the flag succeeds', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status: 429, retryAfter: '1' }], conversationId);
    const inv = invocation();
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, inv);

    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
    // The wait it decided on; the wall time between the two PATCHes only grows on a loaded machine.
    const waits = loggedWaits(h.logs, inv.requestId);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
  });

  test('a Retry-After longer than the remaining budget ends at once, without waiting', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status: 429, retryAfter: '30' }], conversationId);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'RATE_LIMITED', attempts: 1, httpStatus: 429 });
    expect(result.elapsedMs).toBeLessThan(500);
  });

  test('still 429 at the deadline (no Retry-After: backoff)', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script(
      'patch-attributes',
      Array.from({ length: 200 }, () => ({ status: 429 })),
      conversationId,
    );
    const result = await h
      .flagger({ FLAG_DEADLINE_MS: '800' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'RATE_LIMITED', httpStatus: 429 });
    expect(result.attempts).toBeGreaterThan(1);
  });
});

describe('UPSTREAM_ERROR and transient faults', () => {
  test.each([500, 502, 503, 504])('%i then success is retried to UPDATED', async (status) => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ status }], conversationId);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
  });

  test('a connection reset is retried', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ reset: true }], conversationId);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
  });

  test('a hung attempt is cut by the attempt timeout and retried', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ hang: true }], conversationId);
    const result = await h
      .flagger({ FLAG_ATTEMPT_TIMEOUT_MS: '200' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
    // The first PATCH was never answered: only the attempt timeout can have ended it.
    expect(h.genesys.requests.filter((r) => r.conversationId === conversationId).map((r) => r.status)).toEqual([
      0, 202,
    ]);
  });

  test('a lookup reply that trickles in slower than the attempt timeout is cut and retried', async () => {
    const { conversationId } = newConversation(h.genesys);
    h.genesys.script('get-conversation', [{ slowBodyMs: 2000 }], conversationId);
    const result = await h
      .flagger({ FLAG_ATTEMPT_TIMEOUT_MS: '300' })
      .flag({ conversationId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 3 });
    expect(result.elapsedMs).toBeLessThan(1500);
  });

  test('a PATCH 202 whose body trickles in is UPDATED at its status line, sent once', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('patch-attributes', [{ slowBodyMs: 2000 }], conversationId);
    const result = await h
      .flagger({ FLAG_ATTEMPT_TIMEOUT_MS: '300' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
    expect(result.elapsedMs).toBeLessThan(300);
  });

  test('still 5xx at the deadline is UPSTREAM_ERROR with the last status', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script(
      'patch-attributes',
      Array.from({ length: 200 }, () => ({ status: 503 })),
      conversationId,
    );
    const result = await h
      .flagger({ FLAG_DEADLINE_MS: '800' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', httpStatus: 503 });
    expect(result.elapsedMs).toBeLessThanOrEqual(800);
  });

  test('a token endpoint 5xx is retried like any transient fault', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script('token', [{ status: 503 }]);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
    expect(h.genesys.count('token')).toBe(2);
  });

  test('a token reply without access_token is not trusted', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    h.genesys.script(
      'token',
      Array.from({ length: 100 }, () => ({ status: 200, body: '{"token_type":"bearer","expires_in":86400}' })),
    );
    const result = await h
      .flagger({ FLAG_DEADLINE_MS: '800' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation());
    expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', attempts: 0 });
    expect(result.message).toContain('access_token');
    expect(h.genesys.count('patch-attributes')).toBe(0);
  });
});

describe('TIMEOUT', () => {
  test('the deadline falling inside a hung attempt answers at the deadline', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    // A warm container: secret and token cached, so the whole budget goes to the hung PATCH.
    const flagger = h.flagger({ FLAG_DEADLINE_MS: '600', FLAG_ATTEMPT_TIMEOUT_MS: '600' });
    expect((await flagger.flag({ conversationId, participantId, risk_level: 'warm' }, invocation())).status).toBe(
      'UPDATED',
    );
    h.genesys.script('patch-attributes', [{ hang: true }], conversationId);
    const started = Date.now();
    const result = await flagger.flag({ conversationId, participantId, risk_level: 'x' }, invocation());

    expect(result).toMatchObject({ status: 'TIMEOUT', attempts: 1, httpStatus: 0, updated: false });
    // the deadline (the attempt timeout, as long, is cut to the time left)
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test("the Lambda's remaining time, less the safety margin, caps the budget", async () => {
    const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 60_000 });
    const result = await h
      .flagger({ FLAG_DEADLINE_MS: '8000', FLAG_SAFETY_MARGIN_MS: '500' })
      .flag({ conversationId, participantId, risk_level: 'x' }, invocation(1500));
    expect(result.status).toBe('PARTICIPANT_NOT_FOUND');
    expect(result.elapsedMs).toBeLessThanOrEqual(1000);
  });

  test('a Lambda budget inside the safety margin answers at once and sends nothing', async () => {
    const { conversationId, participantId } = newConversation(h.genesys);
    const result = await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation(300));
    expect(result).toMatchObject({ status: 'TIMEOUT', attempts: 0, httpStatus: 0 });
    expect(h.genesys.requests).toHaveLength(0);
  });
});

describe('CONFIG_ERROR (and nothing sent to Genesys)', () => {
  const event = () => ({ ...newConversation(h.genesys), risk_level: 'x' });

  test('secret missing', async () => {
    const result = await h.flagger({ GENESYS_CREDENTIALS_SECRET_ID: 'no/such/secret' }).flag(event(), invocation());
    expect(result).toMatchObject({ status: 'CONFIG_ERROR', attempts: 0, httpStatus: 0 });
    expect(result.message).toContain('ResourceNotFoundException');
    expect(h.genesys.requests).toHaveLength(0);
  });

  test.each([
    ['not JSON', 'clientId=x', 'not a JSON object'],
    ['missing fields', JSON.stringify({ clientId: CLIENT_ID }), 'lacks clientSecret'],
    ['an array', '[]', 'not a JSON object'],
  ])('secret %s', async (_name, value, reason) => {
    h.secrets.put(SECRET_NAME, value);
    const result = await h.flagger().flag(event(), invocation());
    expect(result.status).toBe('CONFIG_ERROR');
    expect(result.message).toContain(reason);
    expect(h.genesys.requests).toHaveLength(0);
  });

  test('an unknown environment never gets the client secret', async () => {
    h.secrets.put(SECRET_NAME, credentialsSecret({ environment: 'evil.example.com' }));
    // Only the API host is overridden: the login host must come from the allow-list.
    const result = await h.flagger({ GENESYS_LOGIN_BASE_URL: '' }).flag(event(), invocation());
    expect(result.status).toBe('CONFIG_ERROR');
    expect(result.message).toContain('unknown Genesys environment');
    expect(h.genesys.requests).toHaveLength(0);
  });

  test('the secret id not configured at all', async () => {
    const result = await h.flagger({ GENESYS_CREDENTIALS_SECRET_ID: '' }).flag(event(), invocation());
    expect(result).toMatchObject({
      status: 'CONFIG_ERROR',
      message: expect.stringContaining('GENESYS_CREDENTIALS_SECRET_ID'),
    });
    expect(h.secrets.requests).toHaveLength(0);
  });

  test('Secrets Manager access denied', async () => {
    h.secrets.script([{ error: 'AccessDeniedException' }]);
    const result = await h.flagger().flag(event(), invocation());
    expect(result).toMatchObject({ status: 'CONFIG_ERROR', message: expect.stringContaining('AccessDeniedException') });
  });

  test('Secrets Manager throttling is transient, not a configuration error', async () => {
    h.secrets.script(Array.from({ length: 50 }, () => ({ error: 'ThrottlingException' as const })));
    const result = await h.flagger({ FLAG_DEADLINE_MS: '800' }).flag(event(), invocation());
    expect(result.status).toBe('UPSTREAM_ERROR');
    expect(result.message).toContain('ThrottlingException');
    expect(h.genesys.requests).toHaveLength(0);
  });
});

describe('INVALID_INPUT never reaches Genesys or Secrets Manager', () => {
  test.each([
    [{ conversationId: 'nope', participantId: randomUUID(), risk_level: 'x' }, 'conversationId must be a UUID'],
    [{ conversationId: randomUUID(), participantId: '../../me', risk_level: 'x' }, 'participantId must be a UUID'],
    [{ conversationId: randomUUID(), participantId: randomUUID() }, 'no attribute'],
    [
      { conversationId: randomUUID(), participantId: randomUUID(), risk_level: { b: 1 } },
      'must be a string, number or boolean',
    ],
    // Outside infra/contracts/attributes.json, or not of its type: refused by name at every door.
    [
      { conversationId: randomUUID(), participantId: randomUUID(), compliance_checked: true, vip: 'gold' },
      'attribute "vip" is not in the attribute contract',
    ],
    [
      { conversationId: randomUUID(), participantId: randomUUID(), attributes: { compliance_checked: 'yes' } },
      'attribute "compliance_checked" must be a boolean',
    ],
    [[1, 2], 'must be a JSON object'],
    ['{"conversationId": 1}', 'must be a JSON object'],
  ])('%j', async (event, reason) => {
    const result = await h.flagger().flag(event, invocation());
    expect(result).toMatchObject({
      status: 'INVALID_INPUT',
      attempts: 0,
      httpStatus: 0,
      updated: false,
      participantId: '',
    });
    expect(result.message).toContain(reason);
    expect(h.genesys.requests).toHaveLength(0);
    expect(h.secrets.requests).toHaveLength(0);
  });
});

test('every result is flat: strings, integers and booleans only', async () => {
  const { conversationId, participantId } = newConversation(h.genesys);
  const results = [
    await h.flagger().flag({ conversationId, participantId, risk_level: 'x' }, invocation()),
    await h.flagger().flag({ nope: true }, invocation()),
    await h.flagger({ GENESYS_CREDENTIALS_SECRET_ID: '' }).flag({}, invocation()),
  ];
  for (const result of results) {
    expect(Object.keys(result).sort()).toEqual([
      'attempts',
      'correlationId',
      'elapsedMs',
      'httpStatus',
      'message',
      'participantId',
      'status',
      'updated',
    ]);
    for (const value of Object.values(result)) expect(['string', 'number', 'boolean']).toContain(typeof value);
    expect(
      Number.isInteger(result.attempts) && Number.isInteger(result.httpStatus) && Number.isInteger(result.elapsedMs),
    ).toBe(true);
  }
});
