/**
 * Secret and token caching per container, under concurrency, expiry and rotation, counted at the
 * emulators' side of the wire.
 */
import { CLIENT_ID, credentialsSecret, SECRET_NAME } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const flagOne = async (flagger: ReturnType<Harness['flagger']>) => {
  const { conversationId, participantId } = newConversation(h.genesys);
  return flagger.flag({ conversationId, participantId, compliance_checked: true }, invocation());
};

test('concurrent invocations on a cold container share one secret read and one token request', async () => {
  const flagger = h.flagger();
  const results = await Promise.all(Array.from({ length: 20 }, () => flagOne(flagger)));

  expect(results.every((r) => r.status === 'UPDATED')).toBe(true);
  expect(h.secrets.count()).toBe(1);
  expect(h.genesys.count('token')).toBe(1);
  expect(h.genesys.count('patch-attributes')).toBe(20);
});

test('a warm container sends exactly one request per flag', async () => {
  const flagger = h.flagger();
  await flagOne(flagger);
  const before = h.genesys.requests.length;
  for (let i = 0; i < 10; i += 1) expect((await flagOne(flagger)).status).toBe('UPDATED');
  expect(h.genesys.requests.length - before).toBe(10);
  expect(h.secrets.count()).toBe(1);
});

test('the token is renewed shortly before it expires, not after a 401', async () => {
  h.genesys.tokenLifetimeSeconds = 1; // renewed after half its life at the latest
  const flagger = h.flagger();
  await flagOne(flagger);
  await new Promise((r) => setTimeout(r, 600));
  expect((await flagOne(flagger)).status).toBe('UPDATED');

  expect(h.genesys.count('token')).toBe(2);
  expect(h.genesys.requests.filter((r) => r.route === 'patch-attributes').map((r) => r.status)).toEqual([202, 202]);
});

test('the secret is read again once its cache age has passed', async () => {
  let offset = 0;
  const flagger = h.flagger({ SECRET_CACHE_MAX_AGE_MS: '300000' }, { now: () => Date.now() + offset });
  await flagOne(flagger);
  offset = 299_000;
  h.genesys.revokeTokens(); // force a token request so the credentials are needed again
  await flagOne(flagger);
  expect(h.secrets.count()).toBe(1);

  offset = 301_000;
  h.genesys.revokeTokens();
  await flagOne(flagger);
  expect(h.secrets.count()).toBe(2);
});

test('a rotated client secret is picked up without a redeploy', async () => {
  const flagger = h.flagger();
  expect((await flagOne(flagger)).status).toBe('UPDATED');

  // Rotation: Genesys gets a new secret for the client (old one stops working, old tokens revoked),
  // and the new value is stored in Secrets Manager.
  h.genesys.setClient(CLIENT_ID, 'rotated-secret-7d1e');
  h.genesys.revokeTokens();
  h.secrets.put(SECRET_NAME, credentialsSecret({ clientSecret: 'rotated-secret-7d1e' }));
  h.genesys.requests.length = 0;

  const result = await flagOne(flagger);
  expect(result.status).toBe('UPDATED');
  // 401 on the API -> new token refused with the cached (old) secret -> secret re-read -> new token -> PATCH.
  expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
    'patch-attributes 401',
    'token 401',
    'token 200',
    'patch-attributes 202',
  ]);
  expect(h.secrets.count()).toBe(2);
});

test('forced secret re-reads are rate-limited, so a bad client cannot hammer Secrets Manager', async () => {
  h.secrets.put(SECRET_NAME, credentialsSecret({ clientSecret: 'wrong' }));
  const flagger = h.flagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '60000' });
  for (let i = 0; i < 5; i += 1) expect((await flagOne(flagger)).status).toBe('AUTH_FAILED');
  expect(h.secrets.count()).toBe(1);
});
