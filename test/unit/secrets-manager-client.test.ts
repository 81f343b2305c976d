/**
 * The one way the function builds a Secrets Manager client, against the emulator on loopback: it
 * follows the standard variables (the endpoint here), gives up on a hung request instead of
 * waiting for ever, and tries once or with the SDK's retries as asked.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerClient } from '../../lib/aws/secrets-manager-client';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { useSecretsEmulator } from '../support/emulator-env';

let emulator: SecretsManagerEmulator;
const clients: SecretsManagerClient[] = [];
const client = (options: Parameters<typeof createSecretsManagerClient>[0]) => {
  const built = createSecretsManagerClient(options);
  clients.push(built);
  return built;
};
const get = (c: SecretsManagerClient) => c.send(new GetSecretValueCommand({ SecretId: 'the/secret' }));

beforeAll(async () => {
  emulator = await SecretsManagerEmulator.start();
  emulator.put('the/secret', 'value');
  useSecretsEmulator(emulator.url);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await emulator.close();
});
beforeEach(() => emulator.clearFaults());

test('AWS_ENDPOINT_URL_SECRETS_MANAGER is followed: the same code talks to AWS and to the emulator', async () => {
  const before = emulator.count();
  expect((await get(client({ requestTimeoutMs: 2000 }))).SecretString).toBe('value');
  expect(emulator.count() - before).toBe(1);
});

test('a hung request fails at the request timeout instead of holding the caller', async () => {
  emulator.script([{ hang: true }]);
  await expect(get(client({ requestTimeoutMs: 150, maxAttempts: 1 }))).rejects.toMatchObject({ name: 'TimeoutError' });
}, 5000);

test('maxAttempts 1: one request, the transient error handed to the caller', async () => {
  const once = client({ requestTimeoutMs: 2000, maxAttempts: 1 });
  expect(await once.config.maxAttempts()).toBe(1);
  const before = emulator.count();
  emulator.script([{ error: 'InternalServiceError' }]);
  await expect(get(once)).rejects.toMatchObject({ name: 'InternalServiceError' });
  expect(emulator.count() - before).toBe(1);
});

test("without maxAttempts, the SDK's own retries stand (the rotation, which no caller waits on)", async () => {
  const retrying = client({ requestTimeoutMs: 2000 });
  expect(await retrying.config.maxAttempts()).toBe(3);
  const before = emulator.count();
  emulator.script([{ error: 'InternalServiceError' }]);
  expect((await get(retrying)).SecretString).toBe('value');
  expect(emulator.count() - before).toBe(2);
});

test.each([
  [150, 150],
  [1999, 1999],
  [2000, 2000],
  [2001, 2000],
  [30_000, 2000],
])('a request timeout of %i ms: connections get %i ms to open', async (requestTimeoutMs, connectionTimeout) => {
  const c = client({ requestTimeoutMs });
  await get(c);
  const handler = c.config.requestHandler as unknown as { httpHandlerConfigs(): Record<string, unknown> };
  expect(handler.httpHandlerConfigs()).toMatchObject({
    requestTimeout: requestTimeoutMs,
    connectionTimeout,
    throwOnRequestTimeout: true,
  });
});
