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

describe('parseCredentials: what the secret may and may not decide', () => {
  const secret = (fields: Record<string, unknown>) =>
    sensitive(JSON.stringify({ clientId: 'id', clientSecret: SECRET, environment: 'mypurecloud.ie', ...fields }));

  test('a region name or a domain, in any case and with spaces around it, names the same hosts', () => {
    const ie = { apiBaseUrl: 'https://api.mypurecloud.ie', loginBaseUrl: 'https://login.mypurecloud.ie' };
    for (const environment of ['mypurecloud.ie', 'MyPureCloud.IE', ' eu-west-1 ', 'EU-WEST-1'])
      expect(parseCredentials(secret({ environment }), {})).toMatchObject({ ok: true, value: { hosts: ie } });
  });

  test.each([
    ['another domain', 'evil.example.com'],
    ['a known domain as a subdomain of another', 'mypurecloud.ie.evil.example'],
    ['a URL', 'https://api.mypurecloud.ie'],
    ['a host rather than a domain', 'login.mypurecloud.ie'],
    ['a path', 'mypurecloud.ie/../x'],
    ['a prototype name', '__proto__'],
    ['the client secret pasted in the wrong field', SECRET],
  ])('%s cannot steer where the client secret goes: config, quoting nothing', (_case, environment) => {
    const parsed = parseCredentials(secret({ environment }), {});
    expect(parsed).toEqual({
      ok: false,
      error: { kind: 'config', reason: expect.stringContaining('unknown Genesys environment') },
    });
    expect(JSON.stringify(parsed)).not.toContain(environment);
  });

  test('an override replaces its own host only; the other still comes from the environment', () => {
    expect(parseCredentials(secret({}), { loginBaseUrl: both.loginBaseUrl })).toMatchObject({
      ok: true,
      value: { hosts: { apiBaseUrl: 'https://api.mypurecloud.ie', loginBaseUrl: both.loginBaseUrl } },
    });
    // With one override, the environment is still needed and still checked.
    expect(
      parseCredentials(secret({ environment: 'evil.example.com' }), { apiBaseUrl: both.apiBaseUrl }),
    ).toMatchObject({ ok: false, error: { kind: 'config' } });
  });

  test('with both hosts overridden, the environment, whatever it says, decides nothing', () => {
    expect(parseCredentials(secret({ environment: 'evil.example.com' }), both)).toMatchObject({
      ok: true,
      value: { hosts: both, environment: 'evil.example.com' },
    });
  });

  test('the client secret is kept exactly as stored; the id is trimmed', () => {
    expect(parseCredentials(secret({ clientId: '\tid ', clientSecret: ` ${SECRET}\n` }), {})).toMatchObject({
      ok: true,
      value: { clientId: 'id', clientSecret: sensitive(` ${SECRET}\n`) },
    });
  });

  test.each([
    ['not JSON, quoting the secret', `clientSecret=${SECRET}`],
    ['JSON of another shape', JSON.stringify([SECRET])],
    ['a secret of another type', JSON.stringify({ clientId: 'id', clientSecret: { value: SECRET }, environment: 'x' })],
    ['empty', ''],
  ])('%s: config, and the reason holds nothing of the secret string', (_case, text) => {
    const parsed = parseCredentials(sensitive(text), {});
    expect(parsed).toMatchObject({ ok: false, error: { kind: 'config' } });
    expect(JSON.stringify(parsed)).not.toContain(SECRET);
  });
});
