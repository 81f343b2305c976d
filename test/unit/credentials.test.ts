/**
 * The credentials secret, read in two steps: its fields (present or not), then its environment
 * resolved to hosts. `npm run doctor` reports the two as separate checks; the function needs both.
 */
import { parseCredentials, readCredentialFields } from '../../lib/genesys/credentials';
import { sensitive } from '../../lib/sensitive';

const SECRET = 'sentinel-client-secret-8d1f';
/** The secret string as Secrets Manager hands it over. */
const secretOf = (fields: object) => sensitive(JSON.stringify(fields));
const both = { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' };

test('a complete secret gives its fields, trimmed where a copy and paste adds spaces (never the secret itself)', () => {
  const read = readCredentialFields(
    secretOf({ clientId: ' id ', clientSecret: ` ${SECRET}`, environment: ' mypurecloud.ie ' }),
    {},
  );
  expect(read).toEqual({
    ok: true,
    value: { clientId: 'id', clientSecret: sensitive(` ${SECRET}`), environment: 'mypurecloud.ie' },
  });
});

test.each([
  [
    'not JSON',
    'clientId=x',
    'the credentials secret is not a JSON object: expected {"clientId", "clientSecret", "environment"}',
  ],
  [
    'an array',
    '[]',
    'the credentials secret is not a JSON object: expected {"clientId", "clientSecret", "environment"}',
  ],
  [
    'no secret',
    JSON.stringify({ clientId: 'id', environment: 'mypurecloud.ie' }),
    'the credentials secret lacks clientSecret',
  ],
  [
    'a blank id and a numeric secret',
    JSON.stringify({ clientId: ' ', clientSecret: 42, environment: 'x' }),
    'the credentials secret lacks clientId, clientSecret',
  ],
  [
    'no environment',
    JSON.stringify({ clientId: 'id', clientSecret: SECRET }),
    'the credentials secret lacks environment',
  ],
])('%s: the reason names the field, never the content', (_case, text, reason) => {
  const read = readCredentialFields(sensitive(text), {});
  expect(read).toEqual({ ok: false, error: reason });
  expect(JSON.stringify(read)).not.toContain(SECRET);
});

test('with both hosts overridden the environment may be absent', () => {
  expect(readCredentialFields(secretOf({ clientId: 'id', clientSecret: SECRET }), both)).toEqual({
    ok: true,
    value: { clientId: 'id', clientSecret: sensitive(SECRET), environment: '' },
  });
  expect(
    readCredentialFields(secretOf({ clientId: 'id', clientSecret: SECRET }), { apiBaseUrl: both.apiBaseUrl }),
  ).toEqual({
    ok: false,
    error: 'the credentials secret lacks environment',
  });
});

test('parseCredentials: the fields, then the hosts; an unknown environment is refused after the fields pass', () => {
  expect(parseCredentials(secretOf({ clientId: 'id', clientSecret: SECRET, environment: 'eu-west-1' }), {})).toEqual({
    ok: true,
    value: {
      clientId: 'id',
      clientSecret: sensitive(SECRET),
      environment: 'eu-west-1',
      hosts: { apiBaseUrl: 'https://api.mypurecloud.ie', loginBaseUrl: 'https://login.mypurecloud.ie' },
    },
  });
  const unknown = parseCredentials(
    secretOf({ clientId: 'id', clientSecret: SECRET, environment: 'evil.example.com' }),
    {},
  );
  expect(unknown).toEqual({
    ok: false,
    error: { kind: 'config', reason: expect.stringContaining('unknown Genesys environment') },
  });
  expect(parseCredentials(sensitive('{}'), {})).toEqual({
    ok: false,
    error: { kind: 'config', reason: 'the credentials secret lacks clientId, clientSecret, environment' },
  });
});
