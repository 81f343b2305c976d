/**
 * Neither the client secret, nor a token, nor an attribute value may appear in a log line or a
 * returned status, whatever happens. Runs a spread of outcomes and searches everything they produced.
 */
import { CLIENT_ID, CLIENT_SECRET, invocation, newConversation, SECRET_NAME, startHarness, type Harness } from '../support/harness';

const VALUE = 'sentinel-value-4417';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

test('secrets, tokens and attribute values never reach logs or results', async () => {
  const results: unknown[] = [];
  const flagger = h.flagger();
  const run = async (event: Record<string, unknown>, f = flagger) => results.push(await f.flag(event, invocation()));

  const a = newConversation(h.genesys);
  await run({ ...a, verification_method: VALUE });
  h.genesys.revokeTokens();
  await run({ ...a, attributes: { verification_method: VALUE } }); // 401 -> refresh -> UPDATED
  const late = newConversation(h.genesys, { resolveAfterMs: 60_000 });
  await run({ ...late, verification_method: VALUE }, h.flagger({ FLAG_DEADLINE_MS: '600' })); // PARTICIPANT_NOT_FOUND
  h.genesys.script('patch-attributes', [{ status: 400, code: 'invalid.value' }], a.conversationId);
  await run({ ...a, verification_method: VALUE }); // REJECTED
  await run({ ...a, verification_method: { nested: VALUE } }); // INVALID_INPUT
  await run({ ...a, verification_method: VALUE.repeat(30) }); // INVALID_INPUT (too long)
  h.secrets.put(SECRET_NAME, JSON.stringify({ clientId: CLIENT_ID, clientSecret: `${CLIENT_SECRET}-old`, environment: 'mypurecloud.com' }));
  await run({ ...a, verification_method: VALUE }, h.flagger()); // AUTH_FAILED at the login host
  h.secrets.put(SECRET_NAME, JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, environment: 'evil.example' }));
  await run({ ...a, verification_method: VALUE }, h.flagger({ GENESYS_LOGIN_BASE_URL: '' })); // CONFIG_ERROR
  h.secrets.put(SECRET_NAME, `not json ${CLIENT_SECRET}`);
  await run({ ...a, verification_method: VALUE }, h.flagger()); // CONFIG_ERROR (unparseable secret quoting the secret)

  const statuses = results.map((r) => (r as { status: string }).status);
  expect(statuses).toEqual(['UPDATED', 'UPDATED', 'PARTICIPANT_NOT_FOUND', 'REJECTED', 'INVALID_INPUT', 'INVALID_INPUT', 'AUTH_FAILED', 'CONFIG_ERROR', 'CONFIG_ERROR']);

  const tokens = h.genesys.issuedTokens();
  expect(tokens.length).toBeGreaterThanOrEqual(2);
  const forbidden = [
    CLIENT_SECRET,
    Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
    VALUE,
    ...tokens,
  ];
  const everything = [...h.logs, ...results.map((r) => JSON.stringify(r))];
  expect(h.logs.length).toBeGreaterThan(results.length); // debug attempt lines included
  for (const text of everything) for (const needle of forbidden) expect(text).not.toContain(needle);
  // The log does say which attributes were set, by name.
  expect(h.logs.some((line) => line.includes('"attributeKeys":["verification_method"]'))).toBe(true);
});
