/**
 * What a refused client-credentials grant reports: the status and the login host's RFC 6749
 * `error` code, only when it is a well-formed code (the reply is untrusted), never its description.
 * And what a token check (verifyToken) reports.
 */
import type { HttpClient, HttpReply } from '../../lib/genesys/api-client';
import { requestClientCredentialsToken, verifyToken } from '../../lib/genesys/oauth-tokens';
import { sensitive } from '../../lib/sensitive';

const credentials = {
  clientId: 'id',
  clientSecret: sensitive('sentinel-secret-77'),
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
