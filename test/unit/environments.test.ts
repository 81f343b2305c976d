import { GENESYS_ENVIRONMENTS, genesysRegion, isGenesysHost, resolveHosts } from '../../lib/genesys/environments';

test('a known domain maps to its api and login hosts', () => {
  expect(resolveHosts('mypurecloud.ie', {})).toEqual({
    ok: true,
    value: { apiBaseUrl: 'https://api.mypurecloud.ie', loginBaseUrl: 'https://login.mypurecloud.ie' },
  });
});

test('a region name and odd casing are accepted', () => {
  expect(resolveHosts(' EU-Central-1 ', {})).toMatchObject({ value: { loginBaseUrl: 'https://login.mypurecloud.de' } });
  expect(resolveHosts('USW2.PURE.CLOUD', {})).toMatchObject({ value: { apiBaseUrl: 'https://api.usw2.pure.cloud' } });
});

test.each([
  'evil.example.com',
  'mypurecloud.com.evil.io',
  'login.mypurecloud.com',
  '',
  undefined,
  'constructor',
  '__proto__',
])('an unknown environment %p is refused, so no credentials can go there', (environment) => {
  const resolved = resolveHosts(environment, {});
  expect(resolved.ok).toBe(false);
});

test('overrides win, each on its own', () => {
  expect(resolveHosts('anything', { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' })).toEqual({
    ok: true,
    value: { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' },
  });
  expect(resolveHosts('mypurecloud.jp', { apiBaseUrl: 'http://proxy' })).toEqual({
    ok: true,
    value: { apiBaseUrl: 'http://proxy', loginBaseUrl: 'https://login.mypurecloud.jp' },
  });
  // The login host (where the client secret goes) is still allow-listed when only the API is overridden.
  expect(resolveHosts('evil.example.com', { apiBaseUrl: 'http://proxy' }).ok).toBe(false);
});

describe('isGenesysHost: what the egress proxy may tunnel to', () => {
  const domains = [...new Set(Object.values(GENESYS_ENVIRONMENTS))];

  test(
    'the table holds every domain form Genesys uses ' +
      '(mypurecloud.*, <region>.pure.cloud, the government and sovereign clouds)',
    () => {
      expect(domains).toEqual(
        expect.arrayContaining([
          'mypurecloud.com',
          'mypurecloud.ie',
          'mypurecloud.com.au',
          'usw2.pure.cloud',
          'use2.us-gov-pure.cloud',
          'edee1.eusc-pure.cloud',
        ]),
      );
    },
  );

  test.each(domains)('api. and login. of %s are allowed, in any case', (domain) => {
    expect(isGenesysHost(`api.${domain}`, {})).toBe(true);
    expect(isGenesysHost(`login.${domain}`, {})).toBe(true);
    expect(isGenesysHost(`API.${domain.toUpperCase()}`, {})).toBe(true);
  });

  test.each(domains)(
    'nothing else of %s is: the bare domain, other subdomains, deeper names, a trailing dot, a port',
    (domain) => {
      for (const host of [
        domain,
        `apps.${domain}`,
        `www.${domain}`,
        `api.api.${domain}`,
        `x.login.${domain}`,
        `api.${domain}.`,
        `login.${domain}:8443`,
        ` api.${domain}`,
        `api.${domain} `,
      ]) {
        expect({ host, allowed: isGenesysHost(host, {}) }).toEqual({ host, allowed: false });
      }
    },
  );

  test.each([
    'api.mypurecloud.com.evil.com',
    'login.mypurecloud.ie.attacker.net',
    'evilmypurecloud.com',
    'api.evilmypurecloud.com',
    'login.evil-mypurecloud.ie',
    'api.mypurecloud.co',
    'api.pure.cloud',
    'login.usw2.pure.cloud.evil',
    'api-mypurecloud.com',
    'api_mypurecloud.com',
    'login.us-east-1',
    'api.eu-west-1',
    'login.__proto__',
    'api.constructor',
    'login.',
    'api.',
    '',
    'localhost',
    '127.0.0.1',
    '169.254.169.254',
  ])('look-alike %p is refused', (host) => {
    expect(isGenesysHost(host, {})).toBe(false);
  });

  test('an override allows its own host, in any case and whatever its port, and no other', () => {
    const overrides = { apiBaseUrl: 'http://127.0.0.1:9000', loginBaseUrl: 'https://Login.Partner.Example:8443/' };
    expect(isGenesysHost('127.0.0.1', overrides)).toBe(true);
    expect(isGenesysHost('login.partner.example', overrides)).toBe(true);
    expect(isGenesysHost('LOGIN.PARTNER.EXAMPLE', overrides)).toBe(true);
    expect(isGenesysHost('api.partner.example', overrides)).toBe(false);
    expect(isGenesysHost('partner.example', overrides)).toBe(false);
    expect(isGenesysHost('localhost', overrides)).toBe(false);
    // The table still applies next to an override.
    expect(isGenesysHost('api.mypurecloud.de', overrides)).toBe(true);
    // Only the API host overridden: the login host stays the table's.
    expect(isGenesysHost('127.0.0.1', { apiBaseUrl: 'http://127.0.0.1:9000' })).toBe(true);
    expect(isGenesysHost('login.partner.example', { apiBaseUrl: 'http://127.0.0.1:9000' })).toBe(false);
  });
});

describe('genesysRegion: the Genesys region, and so the AWS region that pairs with the org', () => {
  test.each([
    ['mypurecloud.ie', 'eu-west-1'],
    [' MyPureCloud.com ', 'us-east-1'],
    ['eu-central-1', 'eu-central-1'],
    ['usw2.pure.cloud', 'us-west-2'],
    ['mypurecloud.com.au', 'ap-southeast-2'],
  ])('%p is in %p', (environment, region) => {
    expect(genesysRegion(environment)).toBe(region);
  });

  test.each(['evil.example.com', 'login.mypurecloud.com', '', undefined, 'constructor', '__proto__'])(
    '%p has none',
    (environment) => {
      expect(genesysRegion(environment)).toBeUndefined();
    },
  );

  test('every domain of the table has exactly one region', () => {
    for (const [region, domain] of Object.entries(GENESYS_ENVIRONMENTS)) expect(genesysRegion(domain)).toBe(region);
  });
});
