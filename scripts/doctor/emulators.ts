/**
 * `npm run doctor -- --emulators`: both loopback emulators started in this process with a healthy
 * setup, as `npm start` does: a credentials secret for an OAuth client whose role is the one the
 * deploy guide asks for (conversation:communication:view), and this repository's data action in the
 * org. The environment points the function's variables and the AWS SDK at them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOCUMENTED_ROLE, GenesysEmulator } from '../../test/emulators/genesys';
import { SecretsManagerEmulator } from '../../test/emulators/secrets-manager';
import { ACTION_NAMES } from '../contracts';

const ROOT = path.resolve(__dirname, '../..');
export const EMULATED_SECRET_ID = 'genesys-participant-flagger/local/credentials';

export interface LocalSetup {
  genesys: GenesysEmulator;
  secrets: SecretsManagerEmulator;
  /** The variables a deployer would set, pointing at the emulators. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startHealthyEmulators(): Promise<LocalSetup> {
  const clientId = 'doctor-client';
  // A fresh secret per run: nothing in the output can be an echo of a value known in advance.
  const clientSecret = randomBytes(18).toString('base64url');
  const genesys = await GenesysEmulator.start({
    clients: { [clientId]: clientSecret },
    permissions: { [clientId]: DOCUMENTED_ROLE },
  });
  const secrets = await SecretsManagerEmulator.start();
  secrets.put(EMULATED_SECRET_ID, JSON.stringify({ clientId, clientSecret, environment: 'mypurecloud.com' }));
  const contract = (name: string): unknown =>
    JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts', name), 'utf8')) as unknown;
  genesys.addAction({
    name: ACTION_NAMES.lambda,
    contract: {
      input: { inputSchema: contract('flag-participant.input.json') },
      output: { successSchema: contract('flag-participant.output.json') },
    },
  });
  return {
    genesys,
    secrets,
    env: {
      GENESYS_CREDENTIALS_SECRET_ID: EMULATED_SECRET_ID,
      GENESYS_API_BASE_URL: genesys.url,
      GENESYS_LOGIN_BASE_URL: genesys.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      // The emulated org is on mypurecloud.com, Genesys region us-east-1: the paired AWS region.
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-only',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    close: () => Promise.all([genesys.close(), secrets.close()]).then(() => undefined),
  };
}

/**
 * What --emulators removes from the environment besides setting the above: a setting of the real
 * setup that would otherwise win (token mode, a proxy) or take the SDK elsewhere (a profile, which
 * the SDK prefers to the key variables; a session token beside the emulator's keys; the switch that
 * makes it ignore endpoint variables).
 */
export const REPLACED_VARIABLES = [
  'GENESYS_TOKEN_SECRET_ID',
  'GENESYS_HTTPS_PROXY',
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
] as const;
