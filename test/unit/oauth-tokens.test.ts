/**
 * OAuth client-credentials tokens. The grant (requestClientCredentialsToken): what it sends, when
 * the token is renewed, and what each kind of answer becomes; a refused grant reports the status and
 * the login host's RFC 6749 `error` code, only when it is a well-formed code (the reply is
 * untrusted), never its description. parseGrant's bounds on the reply. TokenProvider's cache, its
 * one shared mint, and its single re-read of a refused client's secret. And what a token check
 * (verifyToken) reports. HTTP and the credentials are fakes; the clock is injected.
 */
import { inspect } from 'node:util';
import type { SecretError } from '../../lib/aws/secret-source';
import type { HttpClient, HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import type { CredentialsFetch, CredentialsSource, GenesysCredentials } from '../../lib/genesys/credentials';
import {
  type AccessToken,
  parseGrant,
  requestClientCredentialsToken,
  type TokenError,
  type TokenFetch,
  TokenProvider,
  type TokenSource,
  verifyToken,
} from '../../lib/genesys/oauth-tokens';
import { err, ok } from '../../lib/result';
import { sensitive } from '../../lib/sensitive';
import { virtualClock } from './fakes';

const SECRET = 'sentinel-secret-77';
const TOKEN = 'sentinel-token-5b1d';
const credentials = {
  clientId: 'id',
  clientSecret: sensitive(SECRET),
  environment: '',
  hosts: { apiBaseUrl: 'http://api', loginBaseUrl: 'http://login' },
};
const answering =
  (status: number, body: string): HttpClient =>
  async (): Promise<HttpReply> => ({ kind: 'response', status, headers: {}, body, truncated: false });
const grant = (http: HttpClient) =>
  requestClientCredentialsToken(credentials, { http, now: () => 0, attemptTimeoutMs: 1000, refreshMarginMs: 0 });

test.each([
  [401, '{"error":"invalid_client","description":"authentication failed"}', 'invalid_client'],
  [400, '{"error":"unauthorized_client"}', 'unauthorized_client'],
])('%i %s: auth, with the code in the reason and on its own', async (status, body, code) => {
  expect(await grant(answering(status, body))).toEqual({
    ok: false,
    error: {
      kind: 'auth',
      reason: `the login host refused the OAuth client (${status} ${code})`,
      status,
      oauthError: code,
    },
  });
});

test.each([
  ['no JSON', '<html>denied</html>'],
  ['a code with markup', '{"error":"<b>invalid_client</b>"}'],
  ['a code too long', JSON.stringify({ error: 'x'.repeat(51) })],
  ['a code that is not a string', '{"error":401}'],
])('%s: auth, with no code', async (_case, body) => {
  expect(await grant(answering(401, body))).toEqual({
    ok: false,
    error: { kind: 'auth', reason: 'the login host refused the OAuth client (401)', status: 401 },
  });
});

describe('verifyToken: GET /api/v2/tokens/me proves a token', () => {
  const token = { value: sensitive('sentinel-token-91'), apiBaseUrl: 'http://api' };
  const verify = (http: HttpClient) => verifyToken(token, { http, attemptTimeoutMs: 1000 });

  test('a 2xx proves it, with the token as the bearer', async () => {
    const seen: string[] = [];
    const http: HttpClient = async (request) => {
      seen.push(`${request.method} ${request.url} ${request.authorization?.reveal() ?? ''}`);
      return { kind: 'response', status: 200, headers: {}, body: '{}', truncated: false };
    };
    expect(await verify(http)).toEqual({ ok: true, value: undefined });
    expect(seen).toEqual(['GET http://api/api/v2/tokens/me Bearer sentinel-token-91']);
  });

  test('a refusal and a network fault say which, with the status (0: no answer)', async () => {
    expect(await verify(answering(401, '{"code":"bad.credentials"}'))).toEqual({
      ok: false,
      error: { reason: 'GET /api/v2/tokens/me answered 401', status: 401 },
    });
    expect(await verify(async () => ({ kind: 'network', reason: 'refused', code: 'ECONNREFUSED' }))).toEqual({
      ok: false,
      error: { reason: 'GET /api/v2/tokens/me failed: refused', status: 0 },
    });
  });
});

/** A moment far from the real clock: a wait measured against Date.now() instead of `now` would show. */
const T0 = Date.parse('2031-05-06T07:08:09Z');
const MARGIN_MS = 60_000;

const reply = (status: number, body = '', headers: Record<string, string> = {}): HttpReply => ({
  kind: 'response',
  status,
  headers,
  body,
  truncated: false,
});
const granted = (token: string, expiresIn = 3600): HttpReply =>
  reply(200, JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: expiresIn }));

type Answer = HttpReply | ((request: HttpRequest) => Promise<HttpReply>);

/** HTTP answering from a script, in order, and recording every request; an unscripted request is a test bug. */
function scripted(...answers: Answer[]) {
  const requests: HttpRequest[] = [];
  const http: HttpClient = async (request) => {
    requests.push(request);
    const next = answers.shift();
    if (next === undefined) throw new Error(`unscripted request: ${request.method} ${request.url}`);
    return typeof next === 'function' ? next(request) : next;
  };
  return { http, requests };
}

/** An answer that never comes until the request's own signal aborts. */
const hanging = (request: HttpRequest): Promise<HttpReply> =>
  new Promise((resolve) =>
    request.signal?.addEventListener('abort', () => resolve({ kind: 'network', reason: 'aborted', code: 'DEADLINE' })),
  );

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets the fakes' promise chains run (the credentials read, then the request). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function client(
  clientId: string,
  secret: string,
  hosts: Partial<GenesysCredentials['hosts']> = {},
): GenesysCredentials {
  return {
    clientId,
    clientSecret: sensitive(secret),
    environment: 'mypurecloud.ie',
    hosts: { apiBaseUrl: 'http://api', loginBaseUrl: 'http://login', ...hosts },
  };
}
const basic = (c: GenesysCredentials) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret.reveal()}`).toString('base64')}`;

/** The credentials secret as read through its cache: answers in order, the last one for ever after. */
function fakeCredentials(...answers: CredentialsFetch[]) {
  const reads: { refresh?: boolean; prefetch?: boolean }[] = [];
  const source: CredentialsSource = async (_signal, read) => {
    reads.push(read);
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (next === undefined) throw new Error('no credentials scripted');
    return next;
  };
  return { source, reads };
}

function provider(http: HttpClient, source: CredentialsSource, now: () => number = () => T0) {
  return new TokenProvider({ http, credentials: source, now, attemptTimeoutMs: 1000, refreshMarginMs: MARGIN_MS });
}

function tokenOf(fetched: TokenFetch): AccessToken {
  if (!fetched.ok) throw new Error(`expected a token, got ${fetched.error.kind}: ${fetched.error.reason}`);
  return fetched.value;
}

/** Whatever a result holds, as any log line or status would print it, shows neither secret. */
function expectNothingSecret(result: unknown): void {
  for (const text of [JSON.stringify(result), inspect(result, { depth: null }), String(result)]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  }
}

describe('requestClientCredentialsToken', () => {
  const request = (http: HttpClient, refreshMarginMs = MARGIN_MS, signal?: AbortSignal) =>
    requestClientCredentialsToken(credentials, {
      http,
      now: () => T0,
      attemptTimeoutMs: 1500,
      refreshMarginMs,
      ...(signal ? { signal } : {}),
    });

  test('POST /oauth/token at the login host, with the client as Basic auth, bound to the signal', async () => {
    const { http, requests } = scripted(granted(TOKEN));
    const signal = new AbortController().signal;
    await request(http, MARGIN_MS, signal);
    expect(requests).toEqual([
      {
        method: 'POST',
        url: 'http://login/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        authorization: sensitive(`Basic ${Buffer.from(`id:${SECRET}`).toString('base64')}`),
        body: 'grant_type=client_credentials',
        timeoutMs: 1500,
        signal,
      },
    ]);
  });

  test.each([
    // [expires_in, margin, renewAt - now]: the margin, but never more than half the token's life.
    [3600, MARGIN_MS, 3_540_000],
    [120, MARGIN_MS, 60_000],
    [60, MARGIN_MS, 30_000],
    [1, MARGIN_MS, 500],
    [3600, 0, 3_600_000],
  ])('a token for %i s, margin %i ms: renewed %i ms from now', async (expiresIn, margin, renewIn) => {
    const result = await request(scripted(granted(TOKEN, expiresIn)).http, margin);
    expect(result).toEqual(
      ok({
        value: sensitive(TOKEN),
        apiBaseUrl: 'http://api',
        renewAt: T0 + renewIn,
        expiresAt: T0 + expiresIn * 1000,
      }),
    );
    expect(tokenOf(result).value.reveal()).toBe(TOKEN);
    expectNothingSecret(result);
  });

  test.each([
    ['7', 7000],
    ['0', 0],
    ['86400', 86_400_000],
    ['86401', 86_400_000],
    ['999999999999', 86_400_000],
    [new Date(T0 + 30_000).toUTCString(), 30_000],
    [new Date(T0 - 30_000).toUTCString(), 0],
    ['soon', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('429 with Retry-After %p: throttled, waiting %p ms (to the ms, at most a day)', async (header, waitMs) => {
    const headers: Record<string, string> = header === undefined ? {} : { 'retry-after': header };
    const result = await request(scripted(reply(429, '', headers)).http);
    expect(result).toEqual(
      err({ kind: 'throttled', reason: 'token request rate-limited', status: 429, retryAfterMs: waitMs }),
    );
  });

  test.each([408, 500, 501, 502, 503, 504, 599])('%i: upstream, worth a retry', async (status) => {
    expect(await request(scripted(reply(status, '{"error":"server_error"}')).http)).toEqual(
      err({ kind: 'upstream', reason: `token endpoint answered ${status}`, status }),
    );
  });

  test.each([101, 204, 302, 304])('%i, neither a grant nor a refusal: upstream', async (status) => {
    const result = await request(scripted(reply(status)).http);
    expect(result).toMatchObject(err({ kind: 'upstream', status }));
  });

  const REFUSED_TUNNEL = 'the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: it answered CONNECT';
  test.each([
    [407, '407'],
    [0, 'a status that is not one'],
  ])('the egress proxy refusing the tunnel (%i): config, no retry, status 0', async (proxyStatus, said) => {
    expect(await request(scripted({ kind: 'proxy-refused', proxyStatus }).http)).toEqual(
      err({
        kind: 'config',
        reason: `${REFUSED_TUNNEL} with ${said}`,
        status: 0,
      }),
    );
  });

  test.each(['timeout', 'aborted', 'reset', 'refused', 'dns', 'other'] as const)(
    'a network fault (%s): upstream, status 0',
    async (reason) => {
      expect(await request(scripted({ kind: 'network', reason, code: 'E' }).http)).toEqual(
        err({ kind: 'upstream', reason: `token request failed: ${reason}`, status: 0 }),
      );
    },
  );

  test.each([
    [200, ''],
    [200, 'not json'],
    [200, '[]'],
    [200, '{}'],
    [200, '{"access_token":""}'],
    [200, '{"access_token":42,"expires_in":3600}'],
    [201, JSON.stringify({ access_token: `${TOKEN} ${SECRET}`, expires_in: 3600 })],
  ])('%i %s: a 2xx without a usable token is upstream', async (status, body) => {
    const result = await request(scripted(reply(status, body)).http);
    expect(result).toEqual(err({ kind: 'upstream', reason: 'token reply had no usable access_token', status }));
    expectNothingSecret(result);
  });

  test('a login host that echoes the secret and a token in its refusals: neither reaches the result', async () => {
    const echo = JSON.stringify({ error: 'invalid_client', error_description: SECRET, access_token: TOKEN });
    for (const status of [400, 401, 403, 429, 500]) {
      const result = await request(scripted(reply(status, echo, { 'retry-after': SECRET })).http);
      expect(result.ok).toBe(false);
      expectNothingSecret(result);
    }
  });
});

describe('parseGrant: the reply is untrusted', () => {
  const parse = (fields: Record<string, unknown>) => parseGrant(JSON.stringify(fields));

  test('a token of 4096 characters is one; 4097 is not', () => {
    const longest = `${'a'.repeat(4094)}==`;
    expect(parse({ access_token: longest, expires_in: 60 })?.accessToken.reveal()).toBe(longest);
    expect(parse({ access_token: `a${longest}`, expires_in: 60 })).toBeUndefined();
  });

  test.each(['abcXYZ', '0123456789', '-._~+/', 'a=', 'a==', 'eyJhbGci.eyJzdWIi.c2ln-_~+/=='])(
    '%p is an RFC 6750 b64token, taken as it is',
    (token) => {
      expect(parse({ access_token: token })).toEqual({ accessToken: sensitive(token), expiresInSeconds: 300 });
    },
  );

  test.each([
    '',
    '=',
    '=abc',
    'a=b',
    'a b',
    ' abc',
    'abc\n',
    'abc\r\nX-Injected: 1',
    'a\tb',
    'a"b',
    'a,b',
    'a;b',
    'a:b',
    'a%20b',
    'a\\b',
    'tøken',
    'a\u0000b',
    'Bearer abc',
  ])('%p is not a bearer token', (token) => {
    expect(parse({ access_token: token, expires_in: 3600 })).toBeUndefined();
  });

  test.each([
    ['missing', {}],
    ['a number', { access_token: 42 }],
    ['null', { access_token: null }],
    ['an array', { access_token: ['abc'] }],
    ['an object', { access_token: { value: 'abc' } }],
  ])('access_token %s: no grant', (_case, fields) => {
    expect(parse({ ...fields, expires_in: 3600 })).toBeUndefined();
  });

  test.each(['', 'null', '[]', '"abc"', '42', 'not json', '{"access_token":"abc"'])('body %p: no grant', (body) => {
    expect(parseGrant(body)).toBeUndefined();
  });

  test.each([
    [1, 1],
    [3600, 3600],
    [172_800, 172_800],
    [172_801, 172_800],
    [1e12, 172_800],
    ['3600', 3600],
    ['172801', 172_800],
    ['999999999999', 172_800],
  ])('expires_in %p: a lifetime of %i s (at most 48 h)', (expiresIn, seconds) => {
    expect(parse({ access_token: 'abc', expires_in: expiresIn })?.expiresInSeconds).toBe(seconds);
  });

  test.each([
    ['missing', undefined],
    ['zero', 0],
    ['"0"', '0'],
    ['negative', -1],
    ['"-1"', '-1'],
    ['not a number', 'abc'],
    ['empty', ''],
    ['"1e3"', '1e3'],
    ['"3600.5"', '3600.5'],
    ['" 3600"', ' 3600'],
    ['a 13-digit string', '9999999999999'],
    ['null', null],
    ['true', true],
    ['an object', { seconds: 3600 }],
  ])('expires_in %s: the short fallback of 300 s', (_case, expiresIn) => {
    expect(parse({ access_token: 'abc', expires_in: expiresIn })?.expiresInSeconds).toBe(300);
  });

  test('expires_in beyond any double (1e400, Infinity once parsed): the fallback', () => {
    expect(parseGrant('{"access_token":"abc","expires_in":1e400}')?.expiresInSeconds).toBe(300);
  });
});

describe('TokenProvider', () => {
  const OLD = client('id', SECRET);

  test('a token is cached until renewAt, then minted again', async () => {
    const clock = virtualClock(T0);
    const { http, requests } = scripted(granted('token-a'), granted('token-b'));
    const tokens = provider(http, fakeCredentials(ok(OLD)).source, clock.now);
    const first = tokenOf(await tokens.get());
    expect(first).toEqual({
      value: sensitive('token-a'),
      apiBaseUrl: 'http://api',
      renewAt: T0 + 3_600_000 - MARGIN_MS,
      expiresAt: T0 + 3_600_000,
    });
    clock.advance(first.renewAt - T0 - 1);
    expect(tokenOf(await tokens.get())).toBe(first);
    expect(requests).toHaveLength(1);
    clock.advance(1);
    expect(tokenOf(await tokens.get()).value).toEqual(sensitive('token-b'));
    expect(requests).toHaveLength(2);
  });

  test('concurrent callers share one mint: one credentials read, one request, one token', async () => {
    const answer = deferred<HttpReply>();
    const { http, requests } = scripted(() => answer.promise);
    const creds = fakeCredentials(ok(OLD));
    const tokens = provider(http, creds.source);
    const callers = [tokens.get(), tokens.get(new AbortController().signal), tokens.get(undefined, { prefetch: true })];
    await settle();
    expect(requests).toHaveLength(1);
    answer.resolve(granted('shared'));
    const [a, b, c] = (await Promise.all(callers)).map(tokenOf);
    expect(a?.value).toEqual(sensitive('shared'));
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(creds.reads).toHaveLength(1);
    // And the next caller finds it cached.
    expect(tokenOf(await tokens.get())).toBe(a);
    expect(requests).toHaveLength(1);
  });

  test('invalidate drops the refused token only if it is still the cached one', async () => {
    const { http, requests } = scripted(granted('token-a'), granted('token-b'));
    const tokens = provider(http, fakeCredentials(ok(OLD)).source);
    const a = tokenOf(await tokens.get());
    tokens.invalidate(a);
    const b = tokenOf(await tokens.get());
    expect(b.value).toEqual(sensitive('token-b'));
    // A late refusal of the token another invocation already replaced leaves the new one alone.
    tokens.invalidate(a);
    // Nor does an acceptance change anything: a minted token is fresh by construction.
    const source: TokenSource = tokens;
    source.accepted(b);
    expect(tokenOf(await tokens.get())).toBe(b);
    expect(requests).toHaveLength(2);
  });

  describe('a refused client (the login host answers 401)', () => {
    const refused = reply(401, '{"error":"invalid_client"}');
    const refusal = err({
      kind: 'auth',
      reason: 'the login host refused the OAuth client (401 invalid_client)',
      status: 401,
      oauthError: 'invalid_client',
    });

    test('the secret is re-read once; other credentials are tried', async () => {
      const rotated = client('id', 'new-secret');
      const { http, requests } = scripted(refused, granted('after-rotation'));
      const creds = fakeCredentials(ok(OLD), ok(rotated));
      const result = await provider(http, creds.source).get();
      expect(tokenOf(result).value).toEqual(sensitive('after-rotation'));
      expect(creds.reads).toEqual([{}, { refresh: true }]);
      expect(requests.map((r) => r.authorization?.reveal())).toEqual([basic(OLD), basic(rotated)]);
    });

    test.each([
      ['another client id', client('other-id', SECRET)],
      ['another login host', client('id', SECRET, { loginBaseUrl: 'http://login2' })],
      ['another API host', client('id', SECRET, { apiBaseUrl: 'http://api2' })],
    ])('%s is other credentials too', async (_case, changed) => {
      const { http, requests } = scripted(refused, granted('after-rotation'));
      const tokens = provider(http, fakeCredentials(ok(OLD), ok(changed)).source);
      expect(tokenOf(await tokens.get()).apiBaseUrl).toBe(changed.hosts.apiBaseUrl);
      expect(requests.map((r) => r.url)).toEqual([
        'http://login/oauth/token',
        `${changed.hosts.loginBaseUrl}/oauth/token`,
      ]);
    });

    test.each([
      ['the same credentials', ok(client('id', SECRET))],
      ['the same credentials under another environment name', ok({ ...OLD, environment: 'eu-west-1' })],
      ['a failed re-read', err({ kind: 'unavailable' as const, reason: 'Secrets Manager GetSecretValue failed' })],
    ])('%s: no second request, the refusal reported', async (_case, again) => {
      const { http, requests } = scripted(refused);
      const creds = fakeCredentials(ok(OLD), again);
      const result = await provider(http, creds.source).get();
      expect(result).toEqual(refusal);
      expect(creds.reads).toEqual([{}, { refresh: true }]);
      expect(requests).toHaveLength(1);
      expectNothingSecret(result);
    });

    test('refused again with the new credentials: reported, and no third try', async () => {
      const { http, requests } = scripted(refused, refused);
      const creds = fakeCredentials(ok(OLD), ok(client('id', 'new-secret')));
      expect(await provider(http, creds.source).get()).toEqual(refusal);
      expect(creds.reads).toHaveLength(2);
      expect(requests).toHaveLength(2);
    });

    test.each([
      ['throttled', reply(429, '', { 'retry-after': '5' })],
      ['upstream', reply(503)],
      ['upstream', { kind: 'network', reason: 'reset', code: 'ECONNRESET' } as const],
    ])('a failure that is not a refusal (%s) re-reads nothing', async (kind, answer) => {
      const { http, requests } = scripted(answer);
      const creds = fakeCredentials(ok(OLD));
      expect(await provider(http, creds.source).get()).toMatchObject(err({ kind }));
      expect(creds.reads).toHaveLength(1);
      expect(requests).toHaveLength(1);
    });
  });

  test('a failed mint is not cached: the next caller mints again', async () => {
    const { http, requests } = scripted(reply(503), granted('token-a'));
    const tokens = provider(http, fakeCredentials(ok(OLD)).source);
    expect((await tokens.get()).ok).toBe(false);
    expect(tokenOf(await tokens.get()).value).toEqual(sensitive('token-a'));
    expect(requests).toHaveLength(2);
  });

  test.each<[string, SecretError, TokenError['kind']]>([
    ['config', { kind: 'config', reason: 'the credentials secret lacks clientSecret' }, 'config'],
    ['unavailable', { kind: 'unavailable', reason: 'GetSecretValue failed', retryAfterMs: 900 }, 'upstream'],
  ])('an unreadable secret (%s) is a token error, with no request', async (_case, error, kind) => {
    const { http, requests } = scripted();
    expect(await provider(http, fakeCredentials(err(error)).source).get()).toEqual(
      err({ kind, reason: error.reason, status: 0, retryAfterMs: error.retryAfterMs }),
    );
    expect(requests).toEqual([]);
  });

  describe('prefetch (a read during Lambda init)', () => {
    test('the credentials are read as a prefetch, and so is the re-read of a refused client', async () => {
      const { http } = scripted(reply(401, '{"error":"invalid_client"}'), granted('token-a'));
      const creds = fakeCredentials(ok(OLD), ok(client('id', 'new-secret')));
      expect((await provider(http, creds.source).get(undefined, { prefetch: true })).ok).toBe(true);
      expect(creds.reads).toEqual([{ prefetch: true }, { refresh: true, prefetch: true }]);
    });

    test('a prefetched token serves the callers after it', async () => {
      const { http, requests } = scripted(granted('token-a'));
      const tokens = provider(http, fakeCredentials(ok(OLD)).source);
      const prefetched = tokenOf(await tokens.get(undefined, { prefetch: true }));
      expect(tokenOf(await tokens.get(new AbortController().signal))).toBe(prefetched);
      expect(requests).toHaveLength(1);
    });

    test('a failed prefetch is not remembered: the first caller reads and mints afresh', async () => {
      const { http, requests } = scripted(reply(503), granted('token-a'));
      const creds = fakeCredentials(ok(OLD));
      const tokens = provider(http, creds.source);
      expect(await tokens.get(undefined, { prefetch: true })).toMatchObject(err({ kind: 'upstream' }));
      expect(tokenOf(await tokens.get()).value).toEqual(sensitive('token-a'));
      expect(creds.reads).toEqual([{ prefetch: true }, {}]);
      expect(requests).toHaveLength(2);
    });
  });

  describe("the caller's deadline", () => {
    const deadline = err({ kind: 'deadline', reason: 'deadline reached while waiting for a token', status: 0 });

    test('ends the wait as a deadline error, and the request with it once nobody waits', async () => {
      const { http, requests } = scripted(hanging);
      const tokens = provider(http, fakeCredentials(ok(OLD)).source);
      const controller = new AbortController();
      const waiting = tokens.get(controller.signal);
      await settle();
      controller.abort();
      expect(await waiting).toEqual(deadline);
      expect(requests[0]?.signal?.aborted).toBe(true);
    });

    test('a caller leaving does not cancel the mint for another still waiting', async () => {
      const answer = deferred<HttpReply>();
      const { http, requests } = scripted(() => answer.promise);
      const tokens = provider(http, fakeCredentials(ok(OLD)).source);
      const [early, late] = [new AbortController(), new AbortController()];
      const leaving = tokens.get(early.signal);
      const staying = tokens.get(late.signal);
      await settle();
      early.abort();
      expect(await leaving).toEqual(deadline);
      expect(requests[0]?.signal?.aborted).toBe(false);
      answer.resolve(granted('token-a'));
      expect(tokenOf(await staying).value).toEqual(sensitive('token-a'));
    });

    test('already passed: a deadline error, and nothing read or sent', async () => {
      const { http, requests } = scripted();
      const creds = fakeCredentials(ok(OLD));
      expect(await provider(http, creds.source).get(AbortSignal.abort())).toEqual(deadline);
      expect(creds.reads).toEqual([]);
      expect(requests).toEqual([]);
    });

    test('anything else thrown is a bug, handed to the flag for its error path', async () => {
      const bug: HttpClient = async () => {
        throw new TypeError('a bug');
      };
      await expect(provider(bug, fakeCredentials(ok(OLD)).source).get()).rejects.toThrow('a bug');
    });
  });
});
