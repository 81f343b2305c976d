/**
 * What a refused client-credentials grant reports: the status and the login host's RFC 6749
 * `error` code, only when it is a well-formed code (the reply is untrusted), never its description.
 */
import type { HttpClient, HttpReply } from '../../lib/genesys/api-client';
import { requestClientCredentialsToken } from '../../lib/genesys/oauth-tokens';

const credentials = { clientId: 'id', clientSecret: 'sentinel-secret-77', environment: '', hosts: { apiBaseUrl: 'http://api', loginBaseUrl: 'http://login' } };
const answering = (status: number, body: string): HttpClient => async (): Promise<HttpReply> => ({ kind: 'response', status, headers: {}, body, truncated: false });
const grant = (http: HttpClient) => requestClientCredentialsToken(credentials, { http, now: () => 0, attemptTimeoutMs: 1000, refreshMarginMs: 0 });

test.each([
  [401, '{"error":"invalid_client","description":"authentication failed"}', 'invalid_client'],
  [400, '{"error":"unauthorized_client"}', 'unauthorized_client'],
])('%i %s: auth, with the code in the reason and on its own', async (status, body, code) => {
  expect(await grant(answering(status, body))).toEqual({
    ok: false,
    error: { kind: 'auth', reason: `the login host refused the OAuth client (${status} ${code})`, status, oauthError: code },
  });
});

test.each([
  ['no JSON', '<html>denied</html>'],
  ['a code with markup', '{"error":"<b>invalid_client</b>"}'],
  ['a code too long', JSON.stringify({ error: 'x'.repeat(51) })],
  ['a code that is not a string', '{"error":401}'],
])('%s: auth, with no code', async (_case, body) => {
  expect(await grant(answering(401, body))).toEqual({ ok: false, error: { kind: 'auth', reason: 'the login host refused the OAuth client (401)', status: 401 } });
});
