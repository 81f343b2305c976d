/**
 * Secrets Manager rotation for the token secret (token mode): the four steps AWS calls with the
 * AWSPENDING / AWSCURRENT staging labels.
 *
 * - createSecret: a client-credentials grant with the credentials secret; the token goes into a new
 *   version `{"accessToken","expiresAt","environment"}` labelled AWSPENDING (kept if it exists and
 *   is still fresh).
 * - setSecret: nothing to do; Genesys issued the token already.
 * - testSecret: `GET /api/v2/tokens/me` with the pending token.
 * - finishSecret: the pending token is checked again, then AWSCURRENT moves to it (the old one
 *   becomes AWSPREVIOUS). The old token stays valid at Genesys until it expires, so functions still
 *   holding it keep working.
 *
 * A token is only stored, tested or made current while it will outlive the next rotation (the
 * secret's rotation rules, rotation-schedule.ts): a token that would expire first is refused with a
 * message that names the OAuth client's token lifetime. A pending version whose token has gone
 * stale (an attempt that Secrets Manager retried for hours) loses its AWSPENDING label, so that the
 * next rotation starts with a fresh token instead of testing that one forever.
 *
 * Errors are values here, a failed Secrets Manager call included (`<step>: Secrets Manager
 * <Operation> failed: <AWS error name>`); the door (functions/rotate-token.ts) throws them, because
 * that is how Secrets Manager learns that a step failed and retries the rotation.
 */
import { requestClientCredentialsToken, verifyToken, type GrantOptions } from '../genesys/oauth-tokens';
import type { CredentialsSource } from '../genesys/credentials';
import { formatStoredToken, parseStoredToken, type StoredToken } from '../genesys/token-secret';
import type { SecretsCallError, SecretVersions } from '../aws/secret-versions';
import { err, ok, type Result } from '../result';
import type { Sensitive } from '../sensitive';
import {
  formatDuration,
  requiredLifetimeMs,
  ROTATION_SPARE_MS,
  rotationSchedule,
  type RotationSchedule,
} from './rotation-schedule';

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

/** What a step did (a line for the log), or why it failed. */
export type RotationOutcome = Result<string, string>;

/**
 * A pending token checked after createSecret may have aged by the few seconds (or a retried
 * step's minutes) since it was minted: it is still fresh if it lives this much less than required.
 */
export const STEP_SLACK_MS = 15 * 60_000;

export function parseRotationEvent(event: unknown): RotationEvent | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  if (typeof e.SecretId !== 'string' || typeof e.ClientRequestToken !== 'string') return undefined;
  if (!ROTATION_STEPS.includes(e.Step as RotationStep)) return undefined;
  return { SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken, Step: e.Step as RotationStep };
}

/** What a token must outlive, and how to say it. */
interface Lifetime {
  requiredMs: number;
  schedule: RotationSchedule | undefined;
}

export async function rotate(event: RotationEvent, deps: RotationDeps): Promise<RotationOutcome> {
  const { SecretId: secretId, ClientRequestToken: version, Step: step } = event;
  const describedCall = await deps.versions.describe(secretId);
  if (!describedCall.ok) return callFailed(step, describedCall.error);
  const described = describedCall.value;
  if (!described.rotationEnabled) return err('rotation is not enabled on the token secret');
  const stages = described.versions[version];
  if (!stages) return err(`version ${version} is not a version of the token secret`);
  if (stages.includes('AWSCURRENT')) return ok(`${step}: version is already AWSCURRENT`);
  if (!stages.includes('AWSPENDING')) {
    return err(
      `${step}: version ${version} is not AWSPENDING ` +
        '(a stale pending version loses the label; the next rotation starts a new one)',
    );
  }
  const schedule = rotationSchedule(described.rotationRules);
  // Without a schedule this function can read (none, or a cron expression), only the spare time is required.
  const lifetime: Lifetime = { requiredMs: schedule ? requiredLifetimeMs(schedule) : ROTATION_SPARE_MS, schedule };

  switch (step) {
    case 'createSecret':
      return createSecret(secretId, version, lifetime, deps);
    case 'setSecret':
      return ok('setSecret: nothing to set, Genesys issued the token');
    case 'testSecret': {
      const tested = await testPending(secretId, version, lifetime, deps, step);
      return tested.ok ? ok('testSecret: the pending token works') : tested;
    }
    case 'finishSecret': {
      // Steps can arrive out of order or be retried: only a token that passes the test now is made current.
      const tested = await testPending(secretId, version, lifetime, deps, step);
      if (!tested.ok) return tested;
      const current = Object.entries(described.versions).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
      const moved = await deps.versions.makeCurrent(secretId, version, current);
      return moved.ok ? ok('finishSecret: the new token is AWSCURRENT') : callFailed(step, moved.error);
    }
  }
}

async function createSecret(
  secretId: string,
  version: string,
  lifetime: Lifetime,
  deps: RotationDeps,
): Promise<RotationOutcome> {
  const existing = await deps.versions.getValue(secretId, { versionId: version, stage: 'AWSPENDING' });
  if (!existing.ok) return callFailed('createSecret', existing.error);
  if (existing.value !== undefined) {
    const kept = await freshToken(existing.value, lifetime, deps, 'createSecret', secretId, version);
    return kept.ok ? ok('createSecret: the pending version exists already') : kept;
  }
  const credentials = await deps.credentials(undefined, { refresh: true });
  if (!credentials.ok) return err(credentials.error.reason);
  const minted = await requestClientCredentialsToken(credentials.value, deps);
  if (!minted.ok) return err(minted.error.reason);
  const token = minted.value;
  const livesMs = token.expiresAt - deps.now();
  if (livesMs < lifetime.requiredMs) return err(`createSecret: ${tooShort(livesMs, lifetime)}`);
  const { environment } = credentials.value;
  const stored = await deps.versions.putPending(
    secretId,
    version,
    formatStoredToken({ accessToken: token.value, expiresAt: token.expiresAt, environment }),
  );
  if (!stored.ok) return callFailed('createSecret', stored.error);
  return ok(`createSecret: new token, expires ${new Date(token.expiresAt).toISOString()}`);
}

/** The pending token parses, will last, and Genesys accepts it (`GET /api/v2/tokens/me`). */
async function testPending(
  secretId: string,
  version: string,
  lifetime: Lifetime,
  deps: RotationDeps,
  step: RotationStep,
): Promise<Result<undefined, string>> {
  const pending = await deps.versions.getValue(secretId, { versionId: version, stage: 'AWSPENDING' });
  if (!pending.ok) return callFailed(step, pending.error);
  if (pending.value === undefined)
    return err(`${step}: the pending version holds no token (createSecret has not stored one)`);
  const fresh = await freshToken(
    pending.value,
    { ...lifetime, requiredMs: lifetime.requiredMs - STEP_SLACK_MS },
    deps,
    step,
    secretId,
    version,
  );
  if (!fresh.ok) return fresh;
  const credentials = await deps.credentials(undefined, {});
  if (!credentials.ok) return err(credentials.error.reason);
  const verified = await verifyToken(
    { value: fresh.value.accessToken, apiBaseUrl: credentials.value.hosts.apiBaseUrl },
    deps,
  );
  return verified.ok ? ok(undefined) : err(`${step}: ${verified.error.reason}`);
}

/**
 * The stored token when the pending value is one that will last; otherwise the refusal, after
 * taking AWSPENDING off the version: no retry of this rotation can make that value good (a
 * version's value never changes), so the next rotation must start with a new version.
 */
async function freshToken(
  value: Sensitive,
  lifetime: Lifetime,
  deps: RotationDeps,
  step: RotationStep,
  secretId: string,
  version: string,
): Promise<Result<StoredToken, string>> {
  const parsed = parseStoredToken(value);
  let why: string;
  if (!parsed.ok) why = parsed.error;
  else {
    const livesMs = parsed.value.expiresAt - deps.now();
    if (livesMs >= lifetime.requiredMs) return parsed;
    why =
      livesMs <= 0
        ? `its token expired at ${new Date(parsed.value.expiresAt).toISOString()}`
        : tooShort(livesMs, lifetime, 'has');
  }
  const cleared = await deps.versions.clearPending(secretId, version);
  // The label stays for now: Secrets Manager retries the step, which finds the value stale again.
  if (!cleared.ok)
    return err(
      `${step}: the pending version is stale (${why}); removing its AWSPENDING label failed: ${cleared.error.reason}`,
    );
  return err(
    `${step}: the pending version is stale (${why}); ` +
      'its AWSPENDING label is removed, so the next rotation stores a fresh token',
  );
}

/** A Secrets Manager call that failed, as the step's reason: the operation and the AWS error name. */
function callFailed(step: RotationStep, error: SecretsCallError): Result<never, string> {
  return err(`${step}: ${error.reason}`);
}

/** Why a token that lives `livesMs` cannot be made current, naming the setting that fixes it. */
function tooShort(livesMs: number, lifetime: Lifetime, verb: 'lives' | 'has' = 'lives'): string {
  const { schedule } = lifetime;
  const plan = schedule
    ? `the rotation runs every ${formatDuration(schedule.intervalMs)} in a ${formatDuration(schedule.windowMs)} ` +
      `window, plus ${formatDuration(ROTATION_SPARE_MS)} to spare`
    : `${formatDuration(ROTATION_SPARE_MS)} to spare (the rotation schedule could not be read)`;
  const life =
    verb === 'lives'
      ? `Genesys issued a token that lives ${formatDuration(livesMs)}`
      : `its token has ${formatDuration(livesMs)} left`;
  return (
    `${life}, less than the ${formatDuration(lifetime.requiredMs)} it must last (${plan}): ` +
    'it would expire before the next rotation replaces it. ' +
    "Raise the OAuth client's token duration in Genesys (Admin > Integrations > OAuth > the client's Token Duration) " +
    `to at least ${formatDuration(lifetime.requiredMs)}, or rotate more often`
  );
}
