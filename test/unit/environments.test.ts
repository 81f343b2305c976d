import { resolveHosts } from '../../lib/genesys/environments';

test('a known domain maps to its api and login hosts', () => {
  expect(resolveHosts('mypurecloud.ie', {})).toEqual({
    ok: true,
    hosts: { apiBaseUrl: 'https://api.mypurecloud.ie', loginBaseUrl: 'https://login.mypurecloud.ie' },
  });
});

test('a region name and odd casing are accepted', () => {
  expect(resolveHosts(' EU-Central-1 ', {})).toMatchObject({ hosts: { loginBaseUrl: 'https://login.mypurecloud.de' } });
  expect(resolveHosts('USW2.PURE.CLOUD', {})).toMatchObject({ hosts: { apiBaseUrl: 'https://api.usw2.pure.cloud' } });
});

test.each(['evil.example.com', 'mypurecloud.com.evil.io', 'login.mypurecloud.com', '', undefined, 'constructor', '__proto__'])(
  'an unknown environment %p is refused, so no credentials can go there',
  (environment) => {
    const resolved = resolveHosts(environment, {});
    expect(resolved.ok).toBe(false);
  },
);

test('overrides win, each on its own', () => {
  expect(resolveHosts('anything', { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' })).toEqual({
    ok: true,
    hosts: { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' },
  });
  expect(resolveHosts('mypurecloud.jp', { apiBaseUrl: 'http://proxy' })).toEqual({
    ok: true,
    hosts: { apiBaseUrl: 'http://proxy', loginBaseUrl: 'https://login.mypurecloud.jp' },
  });
  // The login host (where the client secret goes) is still allow-listed when only the API is overridden.
  expect(resolveHosts('evil.example.com', { apiBaseUrl: 'http://proxy' }).ok).toBe(false);
});
