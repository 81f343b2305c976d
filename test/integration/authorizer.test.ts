/**
 * POST /flag's Lambda authorizer: its verdicts against the Secrets Manager emulator, and the route
 * over real HTTP behind the local HTTP API, which runs the authorizer as API Gateway documents it
 * (401 without the identity source and no invocation, answers cached per identity source value,
 * 403 for a refusal, 500 when the authorizer fails). Then what a flood of wrong tokens costs, with
 * the authorizer and without it.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { LocalHttpApi, type AuthorizerHandler, type HttpApiRoute } from '../emulators/http-api';
import { authorizationOf, createAuthorizer, type Authorizer } from '../../lib/http/authorizer';
import { createWebhook, webhookRequestOf } from '../../lib/http/flag-endpoint';
import { createLogger } from '../../lib/log';
import { newConversation, startHarness, type Harness } from '../support/harness';

const TOKEN = 'authorizer-token-7c41e09b2f5d';
const TOKEN_SECRET = 'genesys/flagger/webhook-token';

let h: Harness;
const logs: string[] = [];
const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });

beforeAll(async () => {
  h = await startHarness();
  h.secrets.put(TOKEN_SECRET, TOKEN);
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  logs.length = 0;
});

const tokenReads = () =>
  h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET && r.operation === 'GetSecretValue').length;
const eventWith = (authorization?: string) => ({
  version: '2.0',
  type: 'REQUEST',
  identitySource: authorization ? [authorization] : [],
  headers: authorization ? { authorization } : {},
});

describe('verdicts', () => {
  const authorizer = (): Authorizer => createAuthorizer({ WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET }, { logger });

  test('the right token is ok; a wrong, malformed or missing one is denied; nothing of either is logged', async () => {
    const a = authorizer();
    expect(await a.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r1' })).toBe('ok');
    // the scheme is case-insensitive
    expect(await a.authorize(eventWith(`bearer ${TOKEN}`), { requestId: 'r2' })).toBe('ok');
    for (const header of [
      `Bearer ${TOKEN}x`,
      TOKEN,
      `Basic ${TOKEN}`,
      'Bearer',
      'Bearer wrong-token-0000000000',
      undefined,
    ]) {
      expect({ header, verdict: await a.authorize(eventWith(header), { requestId: 'r3' }) }).toEqual({
        header,
        verdict: 'denied',
      });
    }
    expect(logs.join('\n')).not.toContain(TOKEN);
    expect(logs.join('\n')).not.toContain('wrong-token');
    expect(
      logs
        .map((l) => JSON.parse(l) as { message: string; reason?: string })
        .filter((l) => l.message === 'webhook request denied')
        .map((l) => l.reason),
    ).toEqual(['wrong token', 'wrong token', 'wrong token', 'wrong token', 'wrong token', 'no bearer token']);
  });

  test('a secret that is missing, too short or unset is unavailable, never "no token needed"', async () => {
    expect(
      await createAuthorizer({ WEBHOOK_TOKEN_SECRET_ID: 'no/such/secret' }, { logger }).authorize(
        eventWith(`Bearer ${TOKEN}`),
        { requestId: 'r' },
      ),
    ).toBe('unavailable');
    h.secrets.put('short/token', 'short');
    expect(
      await createAuthorizer({ WEBHOOK_TOKEN_SECRET_ID: 'short/token' }, { logger }).authorize(
        eventWith('Bearer short'),
        { requestId: 'r' },
      ),
    ).toBe('unavailable');
    expect(await createAuthorizer({}, { logger }).authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe(
      'unavailable',
    );
    expect(logs.join('\n')).toContain('WEBHOOK_TOKEN_SECRET_ID is not set');
  });

  test('the header is read from the payload 2.0 event, whatever shape arrives', () => {
    expect(authorizationOf({ headers: { authorization: 'Bearer a' }, identitySource: ['Bearer b'] })).toBe('Bearer a');
    expect(authorizationOf({ identitySource: ['Bearer b'] })).toBe('Bearer b');
    for (const odd of [
      null,
      'x',
      7,
      {},
      { headers: 'x' },
      { headers: { authorization: 5 } },
      { identitySource: 'Bearer c' },
    ])
      expect(authorizationOf(odd)).toBeUndefined();
  });
});

describe('POST /flag behind the authorizer, over HTTP', () => {
  let api: LocalHttpApi;
  const ran = { authorizer: 0, webhook: 0 };
  let secretId = TOKEN_SECRET;

  beforeAll(async () => {
    const env = { ...h.env, WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET, LOG_LEVEL: 'error' };
    const webhook = createWebhook(env, { logger });
    const authorizers = new Map<string, Authorizer>();
    // What functions/authorizer.ts does: isAuthorized for ok and denied, an error for unavailable.
    const authorizerHandler: AuthorizerHandler = async (event, context) => {
      ran.authorizer += 1;
      const a = authorizers.get(secretId) ?? createAuthorizer({ WEBHOOK_TOKEN_SECRET_ID: secretId }, { logger });
      authorizers.set(secretId, a);
      const verdict = await a.authorize(event, {
        requestId: context.awsRequestId,
        remainingMs: context.getRemainingTimeInMillis(),
      });
      if (verdict === 'unavailable') throw new Error('authentication unavailable');
      return { isAuthorized: verdict === 'ok' };
    };
    const route: HttpApiRoute = {
      method: 'POST',
      path: '/flag',
      handler: (event: APIGatewayProxyEventV2, context: Context) => {
        ran.webhook += 1;
        return webhook.handle(webhookRequestOf(event), {
          requestId: context.awsRequestId,
          remainingMs: context.getRemainingTimeInMillis(),
        });
      },
      authorizer: { handler: authorizerHandler, identityHeader: 'authorization', resultTtlSeconds: 300 },
    };
    api = await LocalHttpApi.start([route]);
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(() => {
    ran.authorizer = 0;
    ran.webhook = 0;
    secretId = TOKEN_SECRET;
  });

  const post = (headers: Record<string, string>, body = '{}') =>
    fetch(`${api.url}/flag`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test('without an Authorization header: 401 from API Gateway, neither function runs', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(ran).toEqual({ authorizer: 0, webhook: 0 });
  });

  test('a wrong token: 403 from the authorizer, the webhook never runs, nothing reaches Genesys', async () => {
    const before = h.genesys.requests.length;
    const response = await post(
      { authorization: 'Bearer a-wrong-token-1234567890' },
      JSON.stringify({ ...newConversation(h.genesys), compliance_checked: true }),
    );
    expect(response.status).toBe(403);
    expect(ran).toEqual({ authorizer: 1, webhook: 0 });
    expect(h.genesys.requests.length).toBe(before);
  });

  test('the right token: the webhook runs and flags (checking the token again itself)', async () => {
    const c = newConversation(h.genesys);
    const response = await post(
      { authorization: `Bearer ${TOKEN}` },
      JSON.stringify({ ...c, compliance_checked: true }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'UPDATED' });
    expect(h.genesys.attributesOf(c.conversationId, c.participantId)).toEqual({ compliance_checked: 'true' });
    expect(ran.webhook).toBe(1);
  });

  test(
    "the token's secret unreadable: 500 from API Gateway " + '(the webhook-5xx alarm), the webhook never runs',
    async () => {
      secretId = 'no/such/secret';
      const response = await post({ authorization: 'Bearer some-token-not-yet-cached-0001' });
      expect(response.status).toBe(500);
      expect(ran).toEqual({ authorizer: 1, webhook: 0 });
    },
  );

  /**
   * The cost model of a flood that is not throttled: every request of an unauthenticated client is
   * one of these three kinds. With the authorizer, only a token not seen in the last 5 minutes
   * invokes a function, and that function is the authorizer; without it (before), every request
   * invoked the webhook, which answered 401 itself. A JWT authorizer would invoke nothing at all
   * (API Gateway checks the signature); that cannot run here.
   */
  test(
    'a flood of wrong tokens: one authorizer invocation per distinct token, ' +
      'no webhook invocation, one secret read',
    async () => {
      const readsBefore = tokenReads();
      const repeated = 'Bearer the-same-wrong-token-000000';
      const kinds = [
        ...Array.from({ length: 200 }, () => ({})),
        ...Array.from({ length: 200 }, () => ({ authorization: repeated })),
        ...Array.from({ length: 200 }, () => ({ authorization: `Bearer ${randomUUID()}` })),
      ];
      const statuses: number[] = [];
      for (let i = 0; i < kinds.length; i += 50) {
        statuses.push(
          ...(await Promise.all(kinds.slice(i, i + 50).map(async (headers) => (await post(headers)).status))),
        );
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(200);
      expect(statuses.filter((s) => s === 403)).toHaveLength(400);
      // The repeated token at most once per concurrent first wave (API Gateway, like this stand-in,
      // caches an answer once it has it), each distinct token once.
      if (process.env.AUTHORIZER_FLOOD_REPORT)
        process.stdout.write(
          `flood: ${kinds.length} requests, ${ran.authorizer} authorizer invocations, ` +
            `${ran.webhook} webhook invocations, ${tokenReads() - readsBefore} secret reads\n`,
        );
      expect(ran.webhook).toBe(0);
      expect(ran.authorizer).toBeGreaterThanOrEqual(201);
      expect(ran.authorizer).toBeLessThanOrEqual(250);
      // Wrong tokens make the authorizer re-read its secret at most once a minute.
      expect(tokenReads() - readsBefore).toBeLessThanOrEqual(1);
    },
  );
});

describe('what one authorizer invocation costs', () => {
  test(
    'a wrong token with the secret cached: ' + 'no Secrets Manager request, well under a millisecond of work',
    async () => {
      const a = createAuthorizer(
        { WEBHOOK_TOKEN_SECRET_ID: TOKEN_SECRET },
        { logger: createLogger({ level: 'error', sink: () => undefined }) },
      );
      expect(await a.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'warm' })).toBe('ok');
      const readsBefore = tokenReads();
      const n = 2000;
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i += 1)
        await a.authorize(eventWith(`Bearer wrong-${i}-0000000000000`), { requestId: 'flood' });
      const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / n;
      if (process.env.AUTHORIZER_FLOOD_REPORT)
        process.stdout.write(
          `authorizer: ${n} wrong tokens, ${perCallMs.toFixed(3)} ms each in-process, ` +
            `${tokenReads() - readsBefore} secret reads\n`,
        );
      expect(tokenReads() - readsBefore).toBeLessThanOrEqual(1);
      // An upper bound only, loose enough for a loaded 2-core machine.
      expect(perCallMs).toBeLessThan(5);
    },
  );
});
