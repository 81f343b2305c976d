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
