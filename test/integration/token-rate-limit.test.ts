/**
 * Genesys's limit per client-credentials token, 300 API requests a minute
 * (`client.credentials.token.rate.per.minute` on Genesys's Limits page), enforced by the emulator:
 * the function stays inside it by honouring the 429 and its Retry-After, and in token mode every
 * container spends the same budget, as on the real platform.
 */
import { CLIENT_ID } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

const PER_MINUTE = 300;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ tokenRatePerMinute: PER_MINUTE });
});
afterAll(() => h.close());

test(
  '300 requests a minute on one token; the 301st is a 429 whose Retry-After lies past the deadline: ' +
    'RATE_LIMITED at once, one request',
  async () => {
    const flagger = h.flagger();
    const c = newConversation(h.genesys);
    const results = [];
    for (let i = 0; i < PER_MINUTE; i += 1)
      results.push(await flagger.flag({ ...c, verification_method: String(i) }, invocation()));
    expect(results.every((r) => r.status === 'UPDATED' && r.attempts === 1)).toBe(true);

    const over = await flagger.flag({ ...c, verification_method: 'one too many' }, invocation());
    expect(over).toMatchObject({ status: 'RATE_LIMITED', attempts: 1, httpStatus: 429 });
    const last = h.genesys.requests.at(-1);
    expect(last?.status).toBe(429);
    expect(h.genesys.received('patch-attributes', c.conversationId)).toBe(PER_MINUTE + 1);
  },
);

test('in token mode every container draws on the one token: a fresh container is limited too', async () => {
  const { accessToken, expiresAt } = h.genesys.issueToken(CLIENT_ID);
  h.secrets.put(
    'flagger/token',
    JSON.stringify({ accessToken, expiresAt: new Date(expiresAt).toISOString(), environment: 'mypurecloud.com' }),
  );
  const container = () => h.flagger({ GENESYS_TOKEN_SECRET_ID: 'flagger/token', GENESYS_CREDENTIALS_SECRET_ID: '' });
  const [a, b] = [container(), container()];
  const c = newConversation(h.genesys);
  let updated = 0;
  for (let i = 0; i < PER_MINUTE / 2; i += 1) {
    for (const flagger of [a, b])
      if ((await flagger.flag({ ...c, verification_method: String(i) }, invocation())).status === 'UPDATED')
        updated += 1;
  }
  expect(updated).toBe(PER_MINUTE);
  const third = await container().flag({ ...c, verification_method: 'over' }, invocation());
  expect(third).toMatchObject({ status: 'RATE_LIMITED', attempts: 1, httpStatus: 429 });
});
