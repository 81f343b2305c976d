/**
 * Neither the client secret, nor a token, nor an attribute value may appear in a log line or a
 * returned status, whatever happens. Runs a spread of outcomes and searches everything they produced.
 */
import { createLogger, errorFields } from '../../lib/log';
import { CLIENT_ID, CLIENT_SECRET, credentialsSecret, SECRET_NAME } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

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
  h.secrets.put(SECRET_NAME, credentialsSecret({ clientSecret: `${CLIENT_SECRET}-old` }));
  await run({ ...a, verification_method: VALUE }, h.flagger()); // AUTH_FAILED at the login host
  h.secrets.put(SECRET_NAME, credentialsSecret({ environment: 'evil.example' }));
  await run({ ...a, verification_method: VALUE }, h.flagger({ GENESYS_LOGIN_BASE_URL: '' })); // CONFIG_ERROR
  h.secrets.put(SECRET_NAME, `not json ${CLIENT_SECRET}`);
  await run({ ...a, verification_method: VALUE }, h.flagger()); // CONFIG_ERROR (unparseable secret quoting the secret)

  const statuses = results.map((r) => (r as { status: string }).status);
  expect(statuses).toEqual([
    'UPDATED',
    'UPDATED',
    'PARTICIPANT_NOT_FOUND',
    'REJECTED',
    'INVALID_INPUT',
    'INVALID_INPUT',
    'AUTH_FAILED',
    'CONFIG_ERROR',
    'CONFIG_ERROR',
  ]);

  const tokens = h.genesys.issuedTokens();
  expect(tokens.length).toBeGreaterThanOrEqual(2);
  const forbidden = [CLIENT_SECRET, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'), VALUE, ...tokens];
  const everything = [...h.logs, ...results.map((r) => JSON.stringify(r))];
  expect(h.logs.length).toBeGreaterThan(results.length); // debug attempt lines included
  for (const text of everything) for (const needle of forbidden) expect(text).not.toContain(needle);
  // The log does say which attributes were set, by name.
  expect(h.logs.some((line) => line.includes('"attributeKeys":["verification_method"]'))).toBe(true);
});

test("a bug's log line names the error and where it was thrown, never its message", async () => {
  h.secrets.put(SECRET_NAME, credentialsSecret());
  const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 60_000 });
  const lines: string[] = [];
  // A collaborator that throws mid-flag, as a bug would, with a message that quotes a value.
  const bug = new TypeError(`cannot read ${VALUE}\nof the body ${VALUE}`);
  const flagger = h.flagger(
    {},
    {
      logger: createLogger({ level: 'debug', sink: (line) => lines.push(line) }),
      sleep: () => Promise.reject(bug),
    },
  );
  const result = await flagger.flag({ conversationId, participantId, risk_level: VALUE }, invocation());

  expect(result).toMatchObject({
    status: 'UPSTREAM_ERROR',
    message: 'unexpected internal error; see the function log for this correlationId',
  });
  const logged = lines
    .map((l) => JSON.parse(l) as { message: string; error?: { name: string; frames: string[] } })
    .find((l) => l.message === 'unexpected error');
  expect(logged?.error?.name).toBe('TypeError');
  expect(logged?.error?.frames.length).toBeGreaterThan(0);
  for (const frame of logged?.error?.frames ?? []) expect(frame).toMatch(/^at /);
  expect(lines.join('\n')).not.toContain(VALUE);
  expect(lines.join('\n')).not.toContain('cannot read');
});

test('errorFields: name and frames of an error, the type of anything else', () => {
  const named = Object.assign(new Error(VALUE), { name: `Bad ${VALUE}` });
  expect(errorFields(named)).toEqual({ name: 'Error', frames: expect.any(Array) });
  expect(JSON.stringify(errorFields(named))).not.toContain(VALUE);
  expect(errorFields(VALUE)).toEqual({ name: 'string' });
  expect(errorFields(Object.assign(new RangeError('x'), { stack: undefined }))).toEqual({
    name: 'RangeError',
    frames: [],
  });
});
