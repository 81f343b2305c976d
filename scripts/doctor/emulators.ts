/**
 * `npm run doctor -- --emulators`: both loopback emulators started in this process with a healthy
 * setup, as `npm start` does: a credentials secret for an OAuth client whose role is the one the
 * deploy guide asks for (conversation:communication:view), and this repository's data action in the
 * org. The environment (test/support/emulator-env.ts, as in the tests) points the function's
 * variables and the AWS SDK at them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOCUMENTED_ROLE } from '../../test/emulators/genesys';
import {
  AWS_VARIABLES_LEADING_ELSEWHERE,
  CLIENT_ID,
  type Emulators,
  startEmulators,
} from '../../test/support/emulator-env';
import { ACTION_NAMES } from '../contracts';

const ROOT = path.resolve(__dirname, '../..');

export async function startHealthyEmulators(): Promise<Emulators> {
  // A fresh secret per run: nothing in the output can be an echo of a value known in advance.
  const client = { clientId: CLIENT_ID, clientSecret: randomBytes(18).toString('base64url') };
  const local = await startEmulators({ client, genesys: { permissions: { [CLIENT_ID]: DOCUMENTED_ROLE } } });
  const contract = (name: string): unknown =>
    JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts', name), 'utf8')) as unknown;
  local.genesys.addAction({
    name: ACTION_NAMES.lambda,
    contract: {
      input: { inputSchema: contract('flag-participant.input.json') },
      output: { successSchema: contract('flag-participant.output.json') },
    },
  });
  return local;
}

/**
 * What --emulators removes from the environment besides setting the above: a setting of the real
 * setup that would otherwise win (token mode, a proxy) or take the SDK elsewhere (a profile, a
 * session token, the switch that makes it ignore endpoint variables).
 */
export const REPLACED_VARIABLES = [
  'GENESYS_TOKEN_SECRET_ID',
  'GENESYS_HTTPS_PROXY',
  ...AWS_VARIABLES_LEADING_ELSEWHERE,
] as const;
