import {
  axiosHttpClient,
  classify,
  createAxios,
  parseErrorBody,
  proxyRefusal,
  upstreamToken,
} from '../../lib/genesys/api-client';
import { ProxyRefusedError } from '../../lib/genesys/proxy-tunnel';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  ({
    kind: 'response',
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    truncated: false,
  }) as const;

describe('parseErrorBody', () => {
  test("keeps a Genesys ErrorBody's code and contextId, never its message text", () => {
    const facts = parseErrorBody(
      JSON.stringify({
        message: 'value sentinel-4417 is not valid',
        code: 'invalid.value',
        contextId: 'ctx-1',
        status: 400,
      }),
    );
    expect(facts).toEqual({ code: 'invalid.value', contextId: 'ctx-1' });
  });

  test("reads the permission a 403's message names (missing.any.permissions)", () => {
    const body = {
      message:
        'Unable to perform the requested action. ' +
        'You must have at least one of the following permissions assigned: conversation:communication:view',
      code: 'missing.any.permissions',
      status: 403,
    };
    expect(parseErrorBody(JSON.stringify(body))).toEqual({
      code: 'missing.any.permissions',
      permissions: ['conversation:communication:view'],
    });
  });

  test('reads permission names from messageParams too, wherever they sit, each once', () => {
    const body = {
      message: 'You are missing the following permission(s): a:b:c.',
      messageParams: { p: 'a:b:c, routing:queue:*', n: 7 },
      code: 'missing.permissions',
    };
    expect(parseErrorBody(JSON.stringify(body)).permissions).toEqual(['a:b:c', 'routing:queue:*']);
  });

  test('keeps only words shaped exactly like a permission, at most three, each short', () => {
    const hostile = [
      '<b>x:y</b>',
      'conversation:communication:view;rm -rf',
      'a:b:c:d:e',
      'x:1',
      `${'a'.repeat(200)}:b`,
      'javascript:alert',
      'one:two',
      'three:four',
      'five:six',
    ].join(' ');
    expect(parseErrorBody(JSON.stringify({ message: hostile })).permissions).toEqual([
      'conversation:communication:view',
      'javascript:alert',
      'one:two',
    ]);
  });

  test('anything that is not an ErrorBody gives nothing', () => {
    for (const body of ['', 'not json', '[]', '"x"', JSON.stringify({ message: 42, messageParams: ['a:b'] })])
      expect(parseErrorBody(body)).toEqual({});
  });
});

describe('classify', () => {
  test('a 403 is forbidden, with the permissions its body names', () => {
    const outcome = classify(
      reply(403, { code: 'missing.any.permissions', message: 'assigned: conversation:communication:view' }),
      NOW,
    );
    expect(outcome).toEqual({
      kind: 'forbidden',
      status: 403,
      code: 'missing.any.permissions',
      permissions: ['conversation:communication:view'],
    });
  });

  test('the status decides the kind; any 2xx is ok whatever its body', () => {
    const kinds = [200, 202, 204, 400, 401, 404, 408, 409, 429, 500, 501, 503].map(
      (s) => classify(reply(s, s >= 300 ? {} : 'anything'), NOW).kind,
    );
    expect(kinds).toEqual([
      'ok',
      'ok',
      'ok',
      'rejected',
      'unauthorized',
      'not-found',
      'server-error',
      'rejected',
      'throttled',
      'server-error',
      'rejected',
      'server-error',
    ]);
  });

  test('a correlation header is kept only when it is a short token', () => {
    expect(classify(reply(404, '', { 'inin-correlation-id': 'abc-123' }), NOW)).toMatchObject({ contextId: 'abc-123' });
    expect(classify(reply(404, '', { 'inin-correlation-id': '<script>' }), NOW)).not.toHaveProperty('contextId');
  });
});

test('upstreamToken accepts short tokens of letters, digits, . _ - only', () => {
  expect(upstreamToken('not.found')).toBe('not.found');
  for (const bad of ['', 'a b', 'x'.repeat(65), 42, null, '<x>']) expect(upstreamToken(bad)).toBeUndefined();
});

describe('axiosHttpClient: what it takes for a network fault', () => {
  test(
    'a bug on the way (here a request interceptor that throws a TypeError) is rethrown, ' +
      'not reported as a network fault',
    async () => {
      const instance = createAxios();
      instance.interceptors.request.use(() => {
        throw new TypeError('a bug before the request was sent');
      });
      await expect(
        axiosHttpClient(instance)({ method: 'GET', url: 'http://127.0.0.1:9/', headers: {}, timeoutMs: 1000 }),
      ).rejects.toThrow(TypeError);
    },
  );

  test('a refused connection is a network fault', async () => {
    expect(
      await axiosHttpClient(createAxios())({ method: 'GET', url: 'http://127.0.0.1:9/', headers: {}, timeoutMs: 1000 }),
    ).toEqual({ kind: 'network', reason: 'refused', code: 'ECONNREFUSED' });
  });
});

test("a proxy's refusal keeps its status only when it is one, and the message shows nothing else", () => {
  expect([407, 302, 599, 999, 99, 40.7, undefined].map((status) => new ProxyRefusedError(status).proxyStatus)).toEqual([
    407, 302, 599, 0, 0, 0, 0,
  ]);
  expect(proxyRefusal(407)).toBe(
    'the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: it answered CONNECT with 407',
  );
  expect(proxyRefusal(0)).toBe(
    'the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: ' +
      'it answered CONNECT with a status that is not one',
  );
  expect(classify({ kind: 'proxy-refused', proxyStatus: 407 }, NOW)).toEqual({
    kind: 'proxy-refused',
    status: 0,
    proxyStatus: 407,
  });
});

describe('classify: every reply kind, at the bounds of each status range', () => {
  test.each([
    [199, 'rejected'],
    [200, 'ok'],
    [299, 'ok'],
    [300, 'rejected'],
    [302, 'rejected'],
    [407, 'rejected'],
    [408, 'server-error'],
    [499, 'rejected'],
    [500, 'server-error'],
    [501, 'rejected'],
    [502, 'server-error'],
    [599, 'server-error'],
  ])('%i is %s', (status, kind) => {
    expect(classify(reply(status, ''), NOW).kind).toBe(kind);
  });

  test('a 2xx keeps its body and whether it was cut, and reads no error facts from it', () => {
    const body = JSON.stringify({ code: 'looks.like.an.error', contextId: 'body-ctx', message: 'a:b:c' });
    expect(classify({ ...reply(200, body), truncated: true }, NOW)).toEqual({
      kind: 'ok',
      status: 200,
      body,
      truncated: true,
    });
    expect(classify(reply(202, body, { 'inin-correlation-id': 'hdr-ctx' }), NOW)).toEqual({
      kind: 'ok',
      status: 202,
      body,
      truncated: false,
      contextId: 'hdr-ctx',
    });
  });

  test("the error body's contextId wins over the header; either is kept only as a short token", () => {
    const headers = { 'inin-correlation-id': 'hdr-ctx' };
    expect(classify(reply(404, { contextId: 'body-ctx' }, headers), NOW)).toMatchObject({ contextId: 'body-ctx' });
    expect(classify(reply(404, { contextId: '<b>' }, headers), NOW)).toMatchObject({ contextId: 'hdr-ctx' });
    const outcome = classify(reply(404, { contextId: 'c'.repeat(65) }, { 'inin-correlation-id': 'h'.repeat(65) }), NOW);
    expect(outcome).toEqual({ kind: 'not-found', status: 404 });
  });

  test('a 429 carries its Retry-After as milliseconds, and only a usable one', () => {
    expect(classify(reply(429, '', { 'retry-after': '3' }), NOW)).toEqual({
      kind: 'throttled',
      status: 429,
      retryAfterMs: 3000,
    });
    expect(classify(reply(429, '', { 'retry-after': 'Sun, 06 Dec 2026 10:00:05 GMT' }), NOW)).toMatchObject({
      retryAfterMs: 5000,
    });
    for (const hostile of ['-1', '1.5', 'soon', `${'9'.repeat(65)}`, ''])
      expect(classify(reply(429, '', { 'retry-after': hostile }), NOW)).toMatchObject({ retryAfterMs: undefined });
    // A huge one is capped at a day: the deadline ends the flag, the value is not trusted further.
    expect(classify(reply(429, '', { 'retry-after': '999999999' }), NOW)).toMatchObject({ retryAfterMs: 86_400_000 });
  });

  test("a 403's permissions come with it; other statuses never carry any", () => {
    const body = { code: 'missing.any.permissions', message: 'assigned: conversation:communication:view' };
    expect(classify(reply(403, body), NOW)).toHaveProperty('permissions');
    for (const status of [400, 401, 404, 409, 429, 500])
      expect(classify(reply(status, body), NOW)).not.toHaveProperty('permissions');
  });

  test('network faults pass their reason and code on; an abort is the deadline, with no code', () => {
    for (const reason of ['timeout', 'reset', 'refused', 'dns', 'other'] as const)
      expect(classify({ kind: 'network', reason, code: 'ECODE' }, NOW)).toEqual({
        kind: 'network',
        status: 0,
        reason,
        code: 'ECODE',
      });
    expect(classify({ kind: 'network', reason: 'aborted', code: 'DEADLINE' }, NOW)).toEqual({
      kind: 'deadline',
      status: 0,
    });
  });
});

describe('parseErrorBody: bounds of what it keeps', () => {
  test('a code or contextId of 64 characters is kept; 65 is dropped', () => {
    const at = 'c'.repeat(64);
    expect(parseErrorBody(JSON.stringify({ code: at, contextId: at }))).toEqual({ code: at, contextId: at });
    expect(parseErrorBody(JSON.stringify({ code: `${at}c`, contextId: `${at}c` }))).toEqual({});
  });

  test('fields of another type are dropped', () => {
    expect(parseErrorBody(JSON.stringify({ code: 404, contextId: ['x'], message: { a: 'a:b' } }))).toEqual({});
  });

  test('a permission name of 100 characters is read; 101 is not', () => {
    const name = (length: number) => `${'a'.repeat(length - 4)}:b:c`;
    expect(parseErrorBody(JSON.stringify({ message: `need ${name(100)}` })).permissions).toEqual([name(100)]);
    expect(parseErrorBody(JSON.stringify({ message: `need ${name(101)}` }))).toEqual({});
  });

  test('only the first 4096 characters of a message are looked at', () => {
    const at = (offset: number) => JSON.stringify({ message: `${' '.repeat(offset)}x:y:z` });
    expect(parseErrorBody(at(4096 - 5)).permissions).toEqual(['x:y:z']);
    expect(parseErrorBody(at(4096 - 4))).toEqual({});
  });

  test('trailing punctuation is not part of a name; the same name is kept once', () => {
    const message = 'need a:b:c. and a:b:c] and d:e:f), and a:b:c.)]';
    expect(parseErrorBody(JSON.stringify({ message })).permissions).toEqual(['a:b:c', 'd:e:f']);
  });

  test('a message quoting the request (a token, an attribute value) gives nothing of it', () => {
    const message = 'Bearer sentinel-token-77 cannot set compliance_checked=sentinel-value:x';
    expect(JSON.stringify(parseErrorBody(JSON.stringify({ message, code: 'bad.request' })))).not.toContain('sentinel');
  });
});
