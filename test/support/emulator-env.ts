/**
 * How code is pointed at the loopback emulators (test/emulators), said once: the OAuth client the
 * Genesys emulator accepts and the credentials secret that names it in the Secrets Manager
 * emulator, the fake AWS credentials and region the SDK signs with, and the environment built from
 * the emulators' addresses. The test harness and the suites, `npm start`, `npm run doctor --
 * --emulators`, the soak and the bench all take their setup from here, so it cannot drift between
 * them.
 */
import { GenesysEmulator, type GenesysEmulatorOptions } from '../emulators/genesys';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
// JSON, so that the suite-wide leak check (leak-check.js, plain JavaScript run by jest before any
// transform) looks for the very secret seeded here.
import seeded from './emulator-client.json';

export interface Client {
  clientId: string;
  clientSecret: string;
}

/** The OAuth client seeded into the Genesys emulator and into the credentials secret. */
export const CLIENT: Readonly<Client> = { clientId: seeded.clientId, clientSecret: seeded.clientSecret };
export const CLIENT_ID = CLIENT.clientId;
export const CLIENT_SECRET = CLIENT.clientSecret;
/** The name of the credentials secret in the Secrets Manager emulator. */
export const SECRET_NAME = 'genesys/flagger/credentials';
/** The emulated org's Genesys environment: Genesys region us-east-1, paired with AWS_REGION below. */
export const GENESYS_ENVIRONMENT = 'mypurecloud.com';

/**
 * The standard AWS variables the SDK reads, with nothing of a real account: the emulator checks no
 * signature, but the SDK will not send a request without keys to sign it. us-east-1 is the region
 * in the emulator's ARNs and the AWS region paired with the emulated org's Genesys region.
 */
const FAKE_AWS = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
  AWS_SECRET_ACCESS_KEY: 'emulator-only',
  // The SDK's notice that its future versions need Node 22 is noise against an emulator.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/**
 * Variables of a developer's shell that would take the SDK away from the emulator: a profile (the
 * SDK prefers it to the key variables), a session token beside the fake keys, and the switch that
 * makes it ignore endpoint variables.
 */
export const AWS_VARIABLES_LEADING_ELSEWHERE = [
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
] as const;

/** Where the emulators listen (or a proxy in front of one). */
export interface EmulatorUrls {
  genesys: string;
  secrets: string;
}

/** The credentials secret's value for `client` in the emulated org; `fields` replace or add fields. */
export function credentialsSecret(fields: Record<string, unknown> = {}, client: Client = CLIENT): string {
  return JSON.stringify({ ...client, environment: GENESYS_ENVIRONMENT, ...fields });
}

/** What the deployer sets on the function: the credentials secret and both Genesys hosts on the emulator. */
export function genesysEnv(genesysUrl: string, secretId: string = SECRET_NAME): Record<string, string> {
  return {
    GENESYS_CREDENTIALS_SECRET_ID: secretId,
    GENESYS_API_BASE_URL: genesysUrl,
    GENESYS_LOGIN_BASE_URL: genesysUrl,
  };
}

/** What Lambda would give the function, faked: the SDK's region and keys, and its endpoint on the emulator. */
export function awsEnv(secretsUrl: string): Record<string, string> {
  return { AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl, ...FAKE_AWS };
}

/** Both: the whole environment of a process of its own (a bundle, a container) against the emulators. */
export function emulatorEnv(urls: EmulatorUrls, secretId: string = SECRET_NAME): Record<string, string> {
  return { ...genesysEnv(urls.genesys, secretId), ...awsEnv(urls.secrets) };
}

/** Points the AWS SDK of this process at the Secrets Manager emulator (it reads process.env). */
export function useSecretsEmulator(secretsUrl: string): void {
  for (const name of AWS_VARIABLES_LEADING_ELSEWHERE) delete process.env[name];
  Object.assign(process.env, awsEnv(secretsUrl));
}

/** The Genesys emulator, accepting `client` alone (unless `options.clients` says otherwise). */
export function startGenesysEmulator(
  options: GenesysEmulatorOptions = {},
  client: Client = CLIENT,
): Promise<GenesysEmulator> {
  return GenesysEmulator.start({ clients: { [client.clientId]: client.clientSecret }, ...options });
}

export interface EmulatorOptions {
  /** The Genesys emulator's options; its clients are `client` alone unless these name others. */
  genesys?: GenesysEmulatorOptions;
  /** The OAuth client to seed (default: CLIENT). */
  client?: Client;
  /** The credentials secret's name (default: SECRET_NAME). */
  secretId?: string;
}

export interface Emulators {
  genesys: GenesysEmulator;
  secrets: SecretsManagerEmulator;
  /** emulatorEnv for these two and the seeded secret. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Both emulators, with the client's credentials secret in Secrets Manager. Nothing is set in
 * process.env: a caller whose own SDK must reach the emulator calls useSecretsEmulator.
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const client = options.client ?? CLIENT;
  const secretId = options.secretId ?? SECRET_NAME;
  const genesys = await startGenesysEmulator(options.genesys, client);
  const secrets = await SecretsManagerEmulator.start().catch(async (error: unknown) => {
    await genesys.close();
    throw error;
  });
  secrets.put(secretId, credentialsSecret({}, client));
  return {
    genesys,
    secrets,
    env: emulatorEnv({ genesys: genesys.url, secrets: secrets.url }, secretId),
    close: () => Promise.all([genesys.close(), secrets.close()]).then(() => undefined),
  };
}
