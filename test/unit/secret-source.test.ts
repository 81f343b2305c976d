/**
 * awsSecretSource over the real AWS SDK against the Secrets Manager emulator on loopback (the SDK is
 * this module's whole job, so its requests are real; nothing is mocked). What each answer becomes:
 * the string, or a typed failure that says whether a retry can help and quotes only a well-formed
 * AWS error name, never the service's message; one try per read; a hung read ends.
 */
import { awsErrorName, awsSecretSource } from '../../lib/aws/secret-source';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { sensitive } from '../../lib/sensitive';
import { useSecretsEmulator } from '../support/emulator-env';

let emulator: SecretsManagerEmulator;
const VALUE = 'secret-value-sentinel-8e31';

beforeAll(async () => {
  emulator = await SecretsManagerEmulator.start();
  emulator.put('the/secret', VALUE);
  useSecretsEmulator(emulator.url);
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  useSecretsEmulator(emulator.url);
});

const source = () => awsSecretSource({ requestTimeoutMs: 2000 });
const failure = (kind: 'config' | 'unavailable', name: string) => ({
  ok: false,
  error: { kind, reason: `Secrets Manager GetSecretValue failed: ${name}`, errorName: name },
});

test('a string secret is its value', async () => {
  expect(await source().fetch('the/secret')).toEqual({ ok: true, value: sensitive(VALUE) });
});

test('a binary secret is a configuration error', async () => {
  emulator.script([{ binary: true }]);
  expect(await source().fetch('the/secret')).toEqual({
    ok: false,
    error: { kind: 'config', reason: 'the secret has no SecretString (binary secrets are not supported)' },
  });
});

test('a missing secret is a configuration error, named by its AWS error', async () => {
  expect(await source().fetch('no/such/secret')).toEqual(failure('config', 'ResourceNotFoundException'));
});

test.each(['AccessDeniedException', 'DecryptionFailure', 'InvalidParameterException', 'InvalidRequestException'])(
  '%s: no retry can fix it (config)',
  async (name) => {
    emulator.script([{ error: name }]);
    expect(await source().fetch('the/secret')).toEqual(failure('config', name));
  },
);

test.each(['ThrottlingException', 'InternalServiceError', 'SomethingNewException'])(
  '%s: worth retrying (unavailable)',
  async (name) => {
    emulator.script([{ error: name }]);
    expect(await source().fetch('the/secret')).toEqual(failure('unavailable', name));
  },
);

test("the service's message never reaches the reason", async () => {
  emulator.script([{ error: 'AccessDeniedException' }]);
  const result = await source().fetch('the/secret');
  expect(JSON.stringify(result)).not.toContain('scripted');
});

describe('the error name is upstream text: kept only when it looks like an AWS error name', () => {
  test('64 characters is a name; 65 is not', async () => {
    const longest = `E${'x'.repeat(63)}`;
    emulator.script([{ error: longest }, { error: `${longest}x` }]);
    expect(await source().fetch('the/secret')).toEqual(failure('unavailable', longest));
    expect(await source().fetch('the/secret')).toEqual(failure('unavailable', 'UnknownError'));
  });

  test.each([
    ['markup', '<script>alert(1)</script>'],
    ['a leading digit', '9Exception'],
    ['spaces and words', 'Access denied for AKIAEMULATOR'],
  ])('%s becomes UnknownError, and is not repeated', async (_case, hostile) => {
    emulator.script([{ error: hostile }]);
    const result = await source().fetch('the/secret');
    expect(result).toEqual(failure('unavailable', 'UnknownError'));
  });
});

describe('awsErrorName: the one check of an AWS error name, for every module that quotes one', () => {
  const named = (name: string): Error => Object.assign(new Error('the message, never quoted'), { name });

  test.each(['AccessDeniedException', 'TimeoutError', 'aws.protocols:Fault_x-1', `E${'x'.repeat(63)}`])(
    '%s is kept',
    (name) => {
      expect(awsErrorName(named(name))).toBe(name);
    },
  );

  test.each([
    ['65 characters', named(`E${'x'.repeat(64)}`)],
    ['a leading digit', named('9Exception')],
    ['words', named('Access denied for AKIAEMULATOR')],
    ['an empty name', named('')],
    ['a string thrown', 'AccessDeniedException'],
    ['an object with a name', { name: 'AccessDeniedException' }],
    ['undefined', undefined],
  ])('%s: UnknownError', (_case, thrown) => {
    expect(awsErrorName(thrown)).toBe('UnknownError');
  });
});

test('one try per read: a transient error is not retried by the SDK (the flag loop knows the deadline)', async () => {
  const before = emulator.count();
  emulator.script([{ error: 'InternalServiceError' }, { error: 'InternalServiceError' }]);
  expect(await source().fetch('the/secret')).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
  expect(emulator.count() - before).toBe(1);
});

test('a hung read ends at the request timeout, as unavailable', async () => {
  emulator.script([{ hang: true }]);
  const hung = awsSecretSource({ requestTimeoutMs: 150 });
  expect(await hung.fetch('the/secret')).toEqual(failure('unavailable', 'TimeoutError'));
});

test('a read abandoned through its signal ends at once, as unavailable, and its request is closed', async () => {
  emulator.script([{ hang: true }]);
  const controller = new AbortController();
  const read = source().fetch('the/secret', controller.signal);
  setTimeout(() => controller.abort(), 20);
  expect(await read).toMatchObject({ ok: false, error: { kind: 'unavailable', errorName: 'AbortError' } });
  const hung = emulator.requests.at(-1);
  for (let i = 0; i < 50 && hung?.abandonedAt === undefined; i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(hung?.abandonedAt).toBeDefined();
});

test('nothing listening is unavailable, never an exception', async () => {
  useSecretsEmulator('http://127.0.0.1:9');
  expect(await source().fetch('the/secret')).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
});

test('one client serves every read of a source: its endpoint is settled by the first', async () => {
  const kept = source();
  expect(await kept.fetch('the/secret')).toEqual({ ok: true, value: sensitive(VALUE) });
  // A client built now would talk to a port where nothing listens.
  useSecretsEmulator('http://127.0.0.1:9');
  expect(await kept.fetch('the/secret')).toEqual({ ok: true, value: sensitive(VALUE) });
});
