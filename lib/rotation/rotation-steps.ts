/**
 * Secrets Manager rotation for the token secret (token mode): the four steps AWS calls with the
 * AWSPENDING / AWSCURRENT staging labels.
 *
 * - createSecret: a client-credentials grant with the credentials secret; the token goes into a new
 *   version `{"accessToken","expiresAt","environment"}` labelled AWSPENDING (skipped if it exists).
 * - setSecret: nothing to do; Genesys issued the token already.
 * - testSecret: `GET /api/v2/tokens/me` with the pending token.
 * - finishSecret: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS). The old
 *   token stays valid at Genesys until it expires, so functions still holding it keep working.
 *
 * Errors are values here; the door (functions/rotate-token.ts) throws them, because that is how
 * Secrets Manager learns that a step failed and retries the rotation.
 */
import { requestClientCredentialsToken, verifyToken, type GrantOptions } from '../genesys/oauth-tokens';
import type { CredentialsSource } from '../genesys/credentials';
import { formatStoredToken, parseStoredToken } from '../genesys/token-secret';
import type { SecretVersions } from '../aws/secret-versions';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
}

export interface RotationDeps extends GrantOptions {
  versions: SecretVersions;
  credentials: CredentialsSource;
}

export type RotationOutcome = { ok: true; message: string } | { ok: false; reason: string };

export function parseRotationEvent(event: unknown): RotationEvent | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  if (typeof e.SecretId !== 'string' || typeof e.ClientRequestToken !== 'string') return undefined;
  if (!ROTATION_STEPS.includes(e.Step as RotationStep)) return undefined;
  return { SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken, Step: e.Step as RotationStep };
}

export async function rotate(event: RotationEvent, deps: RotationDeps): Promise<RotationOutcome> {
  const { SecretId: secretId, ClientRequestToken: version, Step: step } = event;
  const described = await deps.versions.describe(secretId);
  if (!described.rotationEnabled) return { ok: false, reason: 'rotation is not enabled on the token secret' };
  const stages = described.versions[version];
  if (!stages) return { ok: false, reason: `version ${version} is not a version of the token secret` };
  if (stages.includes('AWSCURRENT')) return { ok: true, message: `${step}: version is already AWSCURRENT` };
  if (!stages.includes('AWSPENDING')) return { ok: false, reason: `version ${version} is not AWSPENDING` };

  switch (step) {
    case 'createSecret':
      return createSecret(secretId, version, deps);
    case 'setSecret':
      return { ok: true, message: 'setSecret: nothing to set, Genesys issued the token' };
    case 'testSecret':
      return testSecret(secretId, version, deps);
    case 'finishSecret': {
      const current = Object.entries(described.versions).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
      await deps.versions.makeCurrent(secretId, version, current);
      return { ok: true, message: 'finishSecret: the new token is AWSCURRENT' };
    }
  }
}

async function createSecret(secretId: string, version: string, deps: RotationDeps): Promise<RotationOutcome> {
  if ((await deps.versions.getValue(secretId, { versionId: version, stage: 'AWSPENDING' })) !== undefined) {
    return { ok: true, message: 'createSecret: the pending version exists already' };
  }
  const credentials = await deps.credentials(undefined, { refresh: true });
  if (!credentials.ok) return { ok: false, reason: credentials.error.reason };
  const minted = await requestClientCredentialsToken(credentials.credentials, deps);
  if (!minted.ok) return { ok: false, reason: minted.error.reason };
  const { environment } = credentials.credentials;
  await deps.versions.putPending(secretId, version, formatStoredToken({ accessToken: minted.token.value, expiresAt: minted.token.expiresAt, environment }));
  return { ok: true, message: `createSecret: new token, expires ${new Date(minted.token.expiresAt).toISOString()}` };
}

async function testSecret(secretId: string, version: string, deps: RotationDeps): Promise<RotationOutcome> {
  const pending = await deps.versions.getValue(secretId, { versionId: version, stage: 'AWSPENDING' });
  if (pending === undefined) return { ok: false, reason: 'testSecret: the pending version has no value' };
  const parsed = parseStoredToken(pending);
  if (!parsed.ok) return { ok: false, reason: `testSecret: ${parsed.reason}` };
  const credentials = await deps.credentials(undefined, {});
  if (!credentials.ok) return { ok: false, reason: credentials.error.reason };
  const verified = await verifyToken({ value: parsed.token.accessToken, apiBaseUrl: credentials.credentials.hosts.apiBaseUrl }, deps);
  return verified.ok ? { ok: true, message: 'testSecret: the pending token works' } : { ok: false, reason: `testSecret: ${verified.reason}` };
}
