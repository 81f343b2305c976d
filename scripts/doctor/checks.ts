/**
 * The checks of `npm run doctor`, run against a live setup with the function's own building blocks:
 * the same configuration (loadConfig), Secrets Manager source, secret parsers, host resolution,
 * token grant, HTTP client (proxy and host overrides included) and Genesys calls. Whatever the
 * doctor proves, it proves of the code the function runs.
 *
 * Required checks send only what the function itself sends or what proves it: the OAuth token
 * request, `GET /api/v2/tokens/me` (token mode), `GET /api/v2/conversations/{id}` and the attributes
 * PATCH, both on random ids; `GetSecretValue`, and `DescribeSecret` in token mode. Optional checks
 * never fail the run.
 *
 * Nothing shown comes from an upstream answer unvalidated: status codes, Genesys error codes and
 * permission names as api-client.ts validates them, AWS error names as awsErrorName
 * (secret-source.ts) keeps them; the report (report.ts) bounds every line. No secret, token or
 * attribute value is put into any text, and as a last guard every text is scrubbed of the secret
 * and token values the run held (each of at least 4 characters: a shorter one would mangle
 * ordinary words).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsSecretSource, type SecretError, type SecretSource } from '../../lib/aws/secret-source';
import { awsSecretVersions } from '../../lib/aws/secret-versions';
import { createSecretsManagerClient } from '../../lib/aws/secrets-manager-client';
import { loadConfig, type Config, type Env } from '../../lib/config';
import {
  axiosHttpClient,
  classify,
  createGenesysAxios,
  type ApiOutcome,
  type HttpClient,
} from '../../lib/genesys/api-client';
import { parseCredentials, readCredentialFields } from '../../lib/genesys/credentials';
import { GENESYS_ENVIRONMENTS, genesysRegion, resolveHosts, type GenesysHosts } from '../../lib/genesys/environments';
import { parseGenesysId, type GenesysId } from '../../lib/genesys/ids';
import {
  basicAuthorization,
  bearerAuthorization,
  requestClientCredentialsToken,
  verifyToken,
  type AccessToken,
  type TokenError,
} from '../../lib/genesys/oauth-tokens';
import { getConversation, patchAttributes, REQUIRED_PERMISSIONS } from '../../lib/genesys/participants';
import { parseStoredToken } from '../../lib/genesys/token-secret';
import { parseJsonObject } from '../../lib/json';
import { REDACTED, type Sensitive, sensitive } from '../../lib/sensitive';
import { formatDuration, ROTATION_SPARE_MS } from '../../lib/rotation/rotation-schedule';
import { ACTION_NAMES } from '../contracts';
import { contractDifferences } from './contract-diff';
import { clean, type CheckId, type CheckResult, type Outcome } from './report';
import { nextRotation, showableSchedule, type RotationFacts } from './rotation-schedule';

const ROOT = path.resolve(__dirname, '../..');

/** What the AWS side of the doctor needs beyond GetSecretValue (the function's own secret source). */
export interface AwsSide {
  /** The region the SDK's standard chain resolves (AWS_REGION, the profile), undefined when there is none. */
  region(): Promise<string | undefined>;
  describeSecret(secretId: string): Promise<{ ok: true; facts: RotationFacts } | { ok: false; errorName: string }>;
}

export interface DoctorDeps {
  http: HttpClient;
  secretSource: SecretSource;
  aws: AwsSide;
  now: () => number;
  /** The random ids the lookup and the PATCH are sent to. */
  newId: () => GenesysId;
  /** This repository's data action contracts, to compare the org's action with. */
  contracts: { input: unknown; output: unknown };
}

/**
 * The permissions `GET /api/v2/integrations/actions` and `GET .../actions/{actionId}` accept
 * ("Requires ANY permissions", IntegrationsApi.getIntegrationsActions and getIntegrationsAction in the
 * SDKs' docs). The function needs neither: only the optional data action check does.
 */
export const ACTION_VIEW_PERMISSIONS = ['integrations:action:view', 'bridge:actions:view'] as const;

const NAMES: Record<CheckId, string> = {
  config: 'configuration',
  'secret-readable': 'secret readable',
  'secret-well-formed': 'secret well formed',
  environment: 'environment known',
  'token-granted': 'token granted',
  'token-live': 'stored token live',
  'token-rotation': 'token outlives rotation',
  'lookup-permitted': 'lookup permitted',
  'patch-permitted': 'PATCH permitted',
  'region-pairing': 'region pairing',
  'data-action': 'data action',
};

const REQUIRED: Record<'credentials' | 'token', CheckId[]> = {
  credentials: [
    'config',
    'secret-readable',
    'secret-well-formed',
    'environment',
    'token-granted',
    'lookup-permitted',
    'patch-permitted',
  ],
  token: [
    'config',
    'secret-readable',
    'secret-well-formed',
    'environment',
    'token-live',
    'token-rotation',
    'lookup-permitted',
    'patch-permitted',
  ],
};
const OPTIONAL: CheckId[] = ['region-pairing', 'data-action'];

/**
 * The AWS side through the function's own pieces: the region the SDK client factory resolves, and
 * DescribeSecret as the rotation function reads it (awsSecretVersions).
 */
export function awsSide(requestTimeoutMs: number): AwsSide {
  let client: SecretsManagerClient | undefined;
  const versions = awsSecretVersions({ requestTimeoutMs });
  return {
    async region() {
      try {
        client ??= createSecretsManagerClient({ requestTimeoutMs, maxAttempts: 1 });
        const region = await client.config.region();
        return typeof region === 'string' && /^[a-z0-9-]{1,40}$/.test(region) ? region : undefined;
      } catch {
        return undefined; // no region anywhere in the chain
      }
    },
    async describeSecret(secretId) {
      const described = await versions.describe(secretId);
      if (!described.ok) return { ok: false, errorName: described.error.name };
      const { versions: _labels, ...facts } = described.value;
      return { ok: true, facts };
    },
  };
}

function readContracts(): DoctorDeps['contracts'] {
  const read = (name: string): unknown =>
    JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts', name), 'utf8')) as unknown;
  return { input: read('flag-participant.input.json'), output: read('flag-participant.output.json') };
}

/** A value the user set (a secret id, a URL), shown bounded. */
const shown = (text: string): string => clean(text, 160);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Runs every check of the mode the environment selects; never throws for anything upstream does. */
export async function runDoctor(env: Env, overrides: Partial<DoctorDeps> = {}): Promise<CheckResult[]> {
  const mode: 'credentials' | 'token' = env.GENESYS_TOKEN_SECRET_ID?.trim() ? 'token' : 'credentials';
  const results = new Map<CheckId, CheckResult>();
  // Every secret value met on the way, so that no report line can repeat one, whatever quoted it.
  const secretValues: Sensitive[] = [];
  const set = (id: CheckId, outcome: Outcome, message: string, fix?: string): void => {
    results.set(id, {
      id,
      name: NAMES[id],
      required: !OPTIONAL.includes(id),
      outcome,
      message,
      ...(fix === undefined ? {} : { fix }),
    });
  };

  const parsed = loadConfig(env);
  if (parsed.ok) {
    await runChecks(parsed.value, mode, set, secretValues, overrides);
  } else {
    set(
      'config',
      'fail',
      parsed.error.reason,
      'set or correct the variables it names (docs/configuration.md lists each, with its bounds)',
    );
  }

  // Whatever did not run waits on the first required check that did not pass.
  const blocker = REQUIRED[mode]
    .map((id) => results.get(id))
    .find((r) => r !== undefined && (r.outcome === 'fail' || r.outcome === 'skipped'));
  const scrub = (text: string): string =>
    secretValues.reduce((t, s) => (s.reveal().length >= 4 ? t.split(s.reveal()).join(REDACTED) : t), text);
  return [...REQUIRED[mode], ...OPTIONAL].map((id) => {
    const result = results.get(id) ?? {
      id,
      name: NAMES[id],
      required: !OPTIONAL.includes(id),
      outcome: 'skipped' as const,
      message: `skipped: needs the "${blocker?.name ?? 'previous'}" check to pass first`,
    };
    return {
      ...result,
      message: scrub(result.message),
      ...(result.fix === undefined ? {} : { fix: scrub(result.fix) }),
    };
  });
}

type SetResult = (id: CheckId, outcome: Outcome, message: string, fix?: string) => void;

async function runChecks(
  config: Config,
  mode: 'credentials' | 'token',
  set: SetResult,
  secretValues: Sensitive[],
  overrides: Partial<DoctorDeps>,
): Promise<void> {
  const deps: DoctorDeps = {
    http:
      overrides.http ?? axiosHttpClient(createGenesysAxios(config.genesysProxyUrl, config, config.attemptTimeoutMs)),
    secretSource: overrides.secretSource ?? awsSecretSource({ requestTimeoutMs: config.attemptTimeoutMs }),
    aws: overrides.aws ?? awsSide(config.attemptTimeoutMs),
    now: overrides.now ?? Date.now,
    newId: overrides.newId ?? (() => parseGenesysId(randomUUID()) as GenesysId),
    contracts: overrides.contracts ?? readContracts(),
  };
  const secretId = mode === 'token' ? (config.tokenSecretId ?? '') : config.credentialsSecretId;
  const secretLabel = mode === 'token' ? 'token secret' : 'credentials secret';
  const hostNote = [
    config.apiBaseUrl ? `API host overridden: ${shown(config.apiBaseUrl)}` : '',
    config.loginBaseUrl ? `login host overridden: ${shown(config.loginBaseUrl)}` : '',
    config.genesysProxyUrl ? `through the proxy ${shown(config.genesysProxyUrl)}` : '',
  ].filter((s) => s !== '');
  set(
    'config',
    'pass',
    [
      `${mode === 'token' ? 'token mode' : 'client-credentials mode'}, ${secretLabel} "${shown(secretId)}"`,
      ...(mode === 'token' && config.credentialsSecretId
        ? [
            'GENESYS_CREDENTIALS_SECRET_ID is set too: the flagging functions do not read it in token mode ' +
              '(set it alone to check the OAuth client the rotation uses)',
          ]
        : []),
      ...hostNote,
    ].join('; '),
  );

  // 2. The secret, read as the function reads it.
  const awsRegion = await deps.aws.region();
  if (awsRegion === undefined) {
    set(
      'secret-readable',
      'fail',
      'no AWS region is set, so Secrets Manager cannot be asked',
      'set AWS_REGION (or a region in your AWS profile) to the region the secret and the stack are in',
    );
    set('region-pairing', 'skipped', 'skipped: needs an AWS region');
    return;
  }
  const fetched = await deps.secretSource.fetch(secretId);
  if (!fetched.ok) {
    const why = secretFailure(fetched.error, secretId, awsRegion);
    set(
      'secret-readable',
      'fail',
      `the ${secretLabel} "${shown(secretId)}" could not be read in ${awsRegion}: ${why.found}`,
      why.fix,
    );
    set('region-pairing', 'skipped', 'skipped: needs the environment in the secret');
    return;
  }
  set('secret-readable', 'pass', `read the ${secretLabel} "${shown(secretId)}" in ${awsRegion}`);

  if (mode === 'credentials') {
    // 3. Well formed: the fields, named when missing, never shown.
    const fields = readCredentialFields(fetched.value, config);
    if (!fields.ok) {
      set(
        'secret-well-formed',
        'fail',
        fields.error,
        'store {"clientId": "…", "clientSecret": "…", "environment": "mypurecloud.ie"} ' +
          'in the secret (docs/deploy.md, step 3)',
      );
      set('region-pairing', 'skipped', 'skipped: needs the environment in the secret');
      return;
    }
    const basic = basicAuthorization(fields.value);
    // The header, and its base64 alone: either could be quoted back.
    secretValues.push(fields.value.clientSecret, basic, sensitive(basic.reveal().replace(/^Basic /, '')));
    set('secret-well-formed', 'pass', 'clientId, clientSecret and environment are present (none of them is shown)');

    // 4. The environment, and the AWS region that pairs with it.
    if (!environmentCheck(fields.value.environment, 'credentials secret', config, awsRegion, set)) return;

    // 5. A token from the login host, with the function's own grant.
    const credentials = parseCredentials(fetched.value, config);
    if (!credentials.ok) throw new Error('unreachable: the fields and the environment passed');
    const minted = await requestClientCredentialsToken(credentials.value, {
      http: deps.http,
      now: deps.now,
      attemptTimeoutMs: config.attemptTimeoutMs,
      refreshMarginMs: config.tokenRefreshMarginMs,
    });
    if (!minted.ok) {
      const why = grantFailure(minted.error);
      set('token-granted', 'fail', why.found, why.fix);
      set('data-action', 'skipped', 'skipped: needs a token');
      return;
    }
    secretValues.push(minted.value.value);
    set(
      'token-granted',
      'pass',
      `the login host granted a token (it lives ${formatDuration(minted.value.expiresAt - deps.now())})`,
    );
    await apiChecks(minted.value, 'the token the login host just granted', config, deps, set);
    return;
  }

  // Token mode. 3. Well formed.
  const stored = parseStoredToken(fetched.value);
  if (!stored.ok) {
    set(
      'secret-well-formed',
      'fail',
      stored.error,
      'the rotation function writes this secret: run a rotation (aws secretsmanager rotate-secret --secret-id …) ' +
        'and read its log',
    );
    set('region-pairing', 'skipped', 'skipped: needs the environment in the secret');
    return;
  }
  secretValues.push(stored.value.accessToken);
  set('secret-well-formed', 'pass', 'accessToken, expiresAt and environment are present (the token is not shown)');

  // 4. The environment.
  if (!environmentCheck(stored.value.environment, 'token secret', config, awsRegion, set)) return;
  const hosts = resolveHosts(stored.value.environment, config);
  if (!hosts.ok) throw new Error('unreachable: the environment check passed');

  // 5b first, as it runs whatever 5 finds: whether the schedule keeps the token live.
  await rotationCheck(secretId, stored.value.expiresAt, deps, set);

  // 5. The stored token is live: not expired, and Genesys accepts it.
  const now = deps.now();
  const expiresAt = stored.value.expiresAt;
  if (expiresAt <= now) {
    set(
      'token-live',
      'fail',
      `the stored token expired at ${iso(expiresAt)}, ${formatDuration(now - expiresAt)} ago: nothing replaced it`,
      'the rotation function keeps it live: read its log (a failed step), and see the rotation check below',
    );
    set('data-action', 'skipped', 'skipped: needs a live token');
    return;
  }
  const token: AccessToken = {
    value: stored.value.accessToken,
    apiBaseUrl: hosts.value.apiBaseUrl,
    renewAt: expiresAt,
    expiresAt,
  };
  const verified = await verifyToken(token, { http: deps.http, attemptTimeoutMs: config.attemptTimeoutMs });
  if (!verified.ok) {
    const fix =
      verified.error.status === 401
        ? 'Genesys no longer accepts this token (revoked, or its OAuth client deleted): run a rotation, ' +
          "and read the rotation function's log if it fails"
        : verified.error.status === 0
          ? 'check the network, GENESYS_API_BASE_URL and GENESYS_HTTPS_PROXY, then try again'
          : 'Genesys could not answer now: try again in a minute';
    set('token-live', 'fail', `${verified.error.reason}; the stored token expires at ${iso(expiresAt)}`, fix);
    set('data-action', 'skipped', 'skipped: needs a live token');
    return;
  }
  set(
    'token-live',
    'pass',
    'Genesys accepts it (GET /api/v2/tokens/me); ' +
      `it expires at ${iso(expiresAt)}, in ${formatDuration(expiresAt - now)}`,
  );
  await apiChecks(token, 'the stored token', config, deps, set);
}

/** Check 4 and the optional region pairing; false when the environment cannot be used. */
function environmentCheck(
  environment: string,
  secretLabel: string,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
  awsRegion: string,
  set: SetResult,
): boolean {
  const fix =
    `set environment in the ${secretLabel} to your org's domain or region, e.g. ` +
    '"mypurecloud.ie" or "eu-west-1" (every one is in lib/genesys/environments.ts)';
  const resolved = resolveHosts(environment, overrides);
  if (!resolved.ok) {
    set('environment', 'fail', resolved.error.replace('credentials secret', secretLabel), fix);
    set('region-pairing', 'skipped', 'skipped: needs a known Genesys environment');
    return false;
  }
  const region = genesysRegion(environment);
  const hosts = `requests go to ${hostsOf(resolved.value)}`;
  if (region === undefined) {
    // Only both host overrides get here: the function works, through them alone.
    set(
      'environment',
      'warn',
      `the ${secretLabel} names no known Genesys environment; ` +
        `only GENESYS_API_BASE_URL and GENESYS_LOGIN_BASE_URL make this setup reach Genesys (${hosts})`,
      fix,
    );
    set('region-pairing', 'skipped', 'skipped: needs a known Genesys environment');
    return true;
  }
  set(
    'environment',
    'pass',
    `${GENESYS_ENVIRONMENTS[region] ?? ''}: Genesys region ${region}, which pairs with AWS region ${region}; ${hosts}`,
  );
  // Optional: Genesys's help pages for the AWS Lambda data actions integration ask for the paired
  // region; another one works, with a cross-region round trip on every invocation.
  if (awsRegion === region)
    set('region-pairing', 'pass', `the AWS region in use, ${awsRegion}, pairs with Genesys region ${region}`);
  else {
    set(
      'region-pairing',
      'warn',
      `the AWS region in use is ${awsRegion}, the org's Genesys region is ${region}: ` +
        "Genesys's help pages for the AWS Lambda data actions integration ask for the paired region",
      `deploy the stack and its secrets in ${region}; ${awsRegion} works, ` +
        "but every invocation and every request to Genesys crosses regions, inside the data action's timeout",
    );
  }
  return true;
}

function hostsOf(hosts: GenesysHosts): string {
  return `${shown(hosts.apiBaseUrl)} (API) and ${shown(hosts.loginBaseUrl)} (login)`;
}

/** What a failed GetSecretValue means, by the AWS error name, and what to do. */
function secretFailure(error: SecretError, secretId: string, region: string): { found: string; fix: string } {
  const name = error.errorName;
  if (name === undefined) {
    // Read, but unusable (a binary secret): the reason is the function's own text.
    return {
      found: error.reason,
      fix: 'store the JSON as the secret string (--secret-string), not as a binary secret',
    };
  }
  switch (name) {
    case 'ResourceNotFoundException':
      return {
        found: name,
        fix:
          `no secret with this id in ${region}: check the id (its name or full ARN) and AWS_REGION; ` +
          'the secret belongs in the region the stack deploys to',
      };
    case 'AccessDeniedException':
    case 'AccessDeniedError':
      return {
        found: name,
        fix:
          'your AWS identity may not read it: allow secretsmanager:GetSecretValue on the secret, ' +
          'and kms:Decrypt on its key if it is encrypted with a customer-managed key',
      };
    case 'DecryptionFailure':
      return {
        found: name,
        fix:
          "Secrets Manager could not decrypt it: allow kms:Decrypt on the secret's KMS key for your AWS identity, " +
          'and check that the key is enabled',
      };
    case 'InvalidRequestException':
      return {
        found: name,
        fix:
          'the secret is scheduled for deletion or cannot be read now: ' +
          'restore it (aws secretsmanager restore-secret) or point the variable at a live secret',
      };
    case 'InvalidParameterException':
      return { found: name, fix: `"${shown(secretId)}" is not a usable secret id: give the secret's name or full ARN` };
    case 'CredentialsProviderError':
      return {
        found: `${name}: no AWS credentials were found`,
        fix:
          'sign in to AWS: set AWS_PROFILE (and run aws sso login if it uses SSO), ' +
          'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      };
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return {
        found: name,
        fix: 'the AWS credentials are invalid or expired: sign in again (aws sso login, or fresh keys)',
      };
    default:
      return {
        found: name,
        fix:
          'Secrets Manager did not answer: check the network (and AWS_ENDPOINT_URL_SECRETS_MANAGER if you set it), ' +
          'then try again',
      };
  }
}

/**
 * What a refused grant means. RFC 6749 §5.2 makes `invalid_client` cover both an unknown client
 * and a failed client authentication, and Genesys's login host answers the same
 * `invalid_client` ("authentication failed") whichever it was, as far as any public source shows:
 * the doctor cannot tell a wrong client id from a wrong secret, and says so. `unauthorized_client`
 * does tell something: the client authenticated, but may not use this grant type.
 */
function grantFailure(error: TokenError): { found: string; fix: string } {
  const status = error.status;
  if (error.kind === 'auth') {
    const code = error.oauthError;
    const answered = `the login host refused the OAuth client (${status}${code ? ` ${code}` : ''})`;
    if (code === 'unauthorized_client') {
      return {
        found:
          `${answered}: the client id and secret are right, ` +
          'but the client may not use the client-credentials grant',
        fix:
          'give the OAuth client the Client Credentials grant type (Admin > Integrations > OAuth), ' +
          'or use one that has it',
      };
    }
    if (code === undefined || code === 'invalid_client') {
      return {
        found:
          `${answered}: the client id or the client secret is wrong (Genesys answers the same for either), ` +
          'or the client belongs to an org in another region',
        fix:
          'copy the client id and secret of a Client Credentials OAuth client (Admin > Integrations > OAuth) ' +
          "into the secret, and check that environment names your org's region",
      };
    }
    return {
      found: answered,
      fix:
        'unexpected for a client-credentials grant: check that GENESYS_LOGIN_BASE_URL, if set, ' +
        'is https://login.<your domain>',
    };
  }
  if (error.kind === 'throttled' || (error.kind === 'upstream' && (status >= 500 || status === 408))) {
    return {
      found: `login host unavailable (${status}), try again`,
      fix: 'try again in a minute; the function retries these within its deadline',
    };
  }
  if (error.kind === 'upstream' && status === 0) {
    return {
      found: `the login host could not be reached: ${error.reason}`,
      fix: 'check the network, GENESYS_LOGIN_BASE_URL and GENESYS_HTTPS_PROXY if you set them, then try again',
    };
  }
  return { found: error.reason, fix: 'check that GENESYS_LOGIN_BASE_URL, if set, is https://login.<your domain>' };
}

/**
 * 5b: the token must outlive the next rotation, with the time to spare the rotation function
 * demands of every token it makes current (ROTATION_SPARE_MS: Secrets Manager's retries of a failed
 * step, the flagging functions' cached secret and token refresh margin).
 */
async function rotationCheck(secretId: string, expiresAt: number, deps: DoctorDeps, set: SetResult): Promise<void> {
  const described = await deps.aws.describeSecret(secretId);
  if (!described.ok) {
    const denied = described.errorName.startsWith('AccessDenied');
    set(
      'token-rotation',
      'fail',
      `DescribeSecret on the token secret failed: ${described.errorName}`,
      denied
        ? 'allow your AWS identity secretsmanager:DescribeSecret on the token secret (only this check needs it)'
        : 'try again; check the network and AWS_ENDPOINT_URL_SECRETS_MANAGER if you set it',
    );
    return;
  }
  const { facts } = described;
  if (!facts.rotationEnabled) {
    set(
      'token-rotation',
      'fail',
      `rotation is not enabled on the token secret: nothing replaces the token, which expires at ${iso(expiresAt)}`,
      'deploy with tokenMode=true, which schedules the rotation (every 4 hours), ' +
        'or turn rotation on for this secret with the rotate-token function',
    );
    return;
  }
  const next = nextRotation(facts, deps.now());
  if (!next.known) {
    set(
      'token-rotation',
      'warn',
      `rotation is enabled, but ${next.reason} and Secrets Manager gave no NextRotationDate; ` +
        `the token expires at ${iso(expiresAt)}`,
      "make sure the schedule rotates more often than the OAuth client's tokens live, e.g. " +
        'ScheduleExpression rate(4 hours)',
    );
    return;
  }
  const now = deps.now();
  if (now > next.at + ROTATION_SPARE_MS) {
    set(
      'token-rotation',
      'fail',
      `the rotation is overdue: it was due by ${iso(next.at)} (${next.basis}); the token expires at ${iso(expiresAt)}`,
      "read the rotate-token function's log for the step that fails, " +
        'and run a rotation (aws secretsmanager rotate-secret --secret-id …)',
    );
    return;
  }
  const schedule = showableSchedule(facts.rotationRules?.scheduleExpression);
  const scheduleNote = schedule && !next.basis.includes(schedule) ? `; schedule ${schedule}` : '';
  const scheduled = `the next rotation, by ${iso(next.at)} (${next.basis}${scheduleNote})`;
  const spare = formatDuration(ROTATION_SPARE_MS);
  if (expiresAt - ROTATION_SPARE_MS >= next.at) {
    set('token-rotation', 'pass', `the token expires at ${iso(expiresAt)}, more than ${spare} after ${scheduled}`);
    return;
  }
  set(
    'token-rotation',
    'fail',
    expiresAt < next.at
      ? `the token expires at ${iso(expiresAt)}, before ${scheduled}: flags would fail with AUTH_FAILED in between`
      : `the token expires at ${iso(expiresAt)}, less than ${spare} after ${scheduled}: ` +
          'a late or retried rotation would leave flags failing with AUTH_FAILED',
    "rotate more often than the OAuth client's tokens live (Admin > Integrations > OAuth > Token Duration): " +
      'a shorter ScheduleExpression such as rate(4 hours), or a longer token duration',
  );
}

/** 6, 7 and the optional data action check, with a token that works. */
async function apiChecks(
  token: AccessToken,
  which: string,
  config: Config,
  deps: DoctorDeps,
  set: SetResult,
): Promise<void> {
  const call = { http: deps.http, token, timeoutMs: config.attemptTimeoutMs, now: deps.now };

  // 6. The lookup: a random conversation id. 404 means the role may read conversations: Genesys
  // answers a missing permission with 403 whether or not the conversation exists.
  const lookup = await getConversation(deps.newId(), call);
  if (lookup.kind === 'not-found' || lookup.kind === 'ok') {
    set(
      'lookup-permitted',
      'pass',
      `GET /api/v2/conversations/{a random id} answered ${lookup.status}: ` +
        `the role may read conversations (${REQUIRED_PERMISSIONS.lookup.join(', ')})`,
    );
  } else if (lookup.kind === 'forbidden') {
    set(
      'lookup-permitted',
      'fail',
      `GET /api/v2/conversations/{id} was refused (403${codeOf(lookup)}${namedBy(lookup)}): ` +
        `the OAuth client's role lacks ${REQUIRED_PERMISSIONS.lookup.join(' or ')}${contextOf(lookup)}`,
      `add ${REQUIRED_PERMISSIONS.lookup.join(' or ')} to the OAuth client's role (Admin > Roles / Permissions), ` +
        'or send participantId in every event (then the function never reads the conversation)',
    );
  } else {
    const why = apiFailure(lookup, which);
    set('lookup-permitted', 'fail', `GET /api/v2/conversations/{id}: ${why.found}`, why.fix);
  }

  // 7. The PATCH, on a random conversation and participant, with a body that sets nothing: even
  // if the conversation existed, an empty map changes no attribute. 404 means allowed.
  const patch = await patchAttributes(deps.newId(), deps.newId(), {}, call);
  const patchPath = 'PATCH /api/v2/conversations/{id}/participants/{id}/attributes';
  if (patch.kind === 'not-found' || patch.kind === 'ok') {
    set(
      'patch-permitted',
      'pass',
      `${patchPath} on a random conversation answered ${patch.status}: the client may set attributes (nothing was set)`,
    );
  } else if (patch.kind === 'rejected' && patch.status === 400) {
    // A 400 does not count as allowed. It proves the token was accepted (a 401 comes before any
    // look at the body), but Genesys does not document whether it checks permissions before or
    // after it validates the body, so a 400 cannot prove the PATCH is permitted; nor does it point
    // at a fault of the setup (the probe's own body is what was refused). Hence a warning.
    set(
      'patch-permitted',
      'warn',
      `${patchPath} answered 400${codeOf(patch)} to the probe's empty attribute map: the token was accepted, ` +
        `but a 400 does not prove the PATCH is permitted${contextOf(patch)}`,
      'the first real flag shows it: AUTH_FAILED with httpStatus 403 means the OAuth client needs a role in the org',
    );
  } else if (patch.kind === 'forbidden') {
    const published: readonly string[] = REQUIRED_PERMISSIONS.patch;
    const needs =
      published.length > 0 ? `it needs ${published.join(' or ')}` : 'Genesys lists no required permission for it';
    const named =
      patch.permissions && patch.permissions.length > 0
        ? `grant ${patch.permissions.join(' or ')}, which Genesys names, or `
        : '';
    set(
      'patch-permitted',
      'fail',
      `${patchPath} was refused (403${codeOf(patch)}${namedBy(patch)}); ${needs}${contextOf(patch)}`,
      `${named}check that the OAuth client has a role in the org (Admin > Integrations > OAuth > Roles)`,
    );
  } else {
    const why = apiFailure(patch, which);
    set('patch-permitted', 'fail', `${patchPath}: ${why.found}`, why.fix);
  }

  await dataActionCheck(token, config, deps, set);
}

function codeOf(outcome: ApiOutcome): string {
  return 'code' in outcome && outcome.code ? ` ${outcome.code}` : '';
}
function namedBy(outcome: ApiOutcome): string {
  return outcome.kind === 'forbidden' && outcome.permissions && outcome.permissions.length > 0
    ? `; Genesys names ${outcome.permissions.join(', ')}`
    : '';
}
function contextOf(outcome: ApiOutcome): string {
  return 'contextId' in outcome && outcome.contextId ? ` (Genesys contextId ${outcome.contextId})` : '';
}

/** A Genesys API answer that is neither allowed nor a 403, and what to do. */
function apiFailure(outcome: ApiOutcome, which: string): { found: string; fix: string } {
  switch (outcome.kind) {
    case 'unauthorized':
      return {
        found: `Genesys refused ${which} (401${codeOf(outcome)})`,
        fix:
          "the API host must be the login host's environment: check GENESYS_API_BASE_URL if you set it; " +
          'in token mode, run a rotation',
      };
    case 'throttled':
      return {
        found: `rate-limited (429${codeOf(outcome)})`,
        fix: 'try again in a minute; tokens share about 300 requests a minute',
      };
    case 'server-error':
      return {
        found: `Genesys answered ${outcome.status}${codeOf(outcome)}${contextOf(outcome)}, try again`,
        fix: 'try again in a minute; the function retries these within its deadline',
      };
    case 'network':
      return {
        found: `the API host could not be reached (${outcome.reason}, ${outcome.code})`,
        fix: 'check the network, GENESYS_API_BASE_URL and GENESYS_HTTPS_PROXY if you set them, then try again',
      };
    default:
      return {
        found: `Genesys answered ${outcome.status}${codeOf(outcome)}${contextOf(outcome)}`,
        fix: 'unexpected for this request: check that GENESYS_API_BASE_URL, if set, is https://api.<your domain>',
      };
  }
}

/**
 * Optional: the org has a data action by this repository's name with its contracts. Needs
 * integrations:action:view or bridge:actions:view, which the function does not: without it the
 * check is skipped, never failed.
 */
async function dataActionCheck(token: AccessToken, config: Config, deps: DoctorDeps, set: SetResult): Promise<void> {
  const get = async (pathAndQuery: string): Promise<ApiOutcome> =>
    classify(
      await deps.http({
        method: 'GET',
        url: `${token.apiBaseUrl}${pathAndQuery}`,
        headers: { accept: 'application/json' },
        authorization: bearerAuthorization(token.value),
        timeoutMs: config.attemptTimeoutMs,
      }),
      deps.now(),
    );
  const needs =
    `skipped: needs ${ACTION_VIEW_PERMISSIONS.join(' or ')} on the OAuth client's role ` +
    '(the function itself does not)';
  const names: readonly string[] = [ACTION_NAMES.lambda, ACTION_NAMES.webhook];

  const list = await get(`/api/v2/integrations/actions?name=${encodeURIComponent(ACTION_NAMES.lambda)}&pageSize=100`);
  if (list.kind === 'forbidden') return set('data-action', 'skipped', needs);
  if (list.kind !== 'ok')
    return set(
      'data-action',
      'warn',
      `the data actions could not be listed: ${apiFailure(list, 'the token').found}`,
      'run npm run doctor again later',
    );
  const entities = parseJsonObject(list.body)?.entities;
  if (!Array.isArray(entities))
    return set(
      'data-action',
      'warn',
      `the data actions list could not be read${list.truncated ? ' (too long)' : ''}`,
      'check the action in the admin UI (Admin > Integrations > Actions)',
    );
  const found = entities
    .map((e: unknown) => (typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {}))
    .filter((e) => typeof e.name === 'string' && names.includes(e.name))
    .map((e) => ({ name: e.name as string, id: parseGenesysId(e.id) }))
    .slice(0, 4);
  if (found.length === 0) {
    return set(
      'data-action',
      'warn',
      `no data action named "${ACTION_NAMES.lambda}" in the org yet`,
      'step 5 of docs/deploy.md: terraform apply in infra/genesys/, ' +
        'or import the file npm run contracts -- --function-arn <DataActionFunctionArn> writes (keep its name)',
    );
  }
  const problems: string[] = [];
  for (const action of found) {
    if (!action.id) {
      problems.push(`"${action.name}" is listed with an id that is not a UUID`);
      continue;
    }
    const detail = await get(`/api/v2/integrations/actions/${encodeURIComponent(action.id)}?expand=contract`);
    if (detail.kind === 'forbidden') return set('data-action', 'skipped', needs);
    if (detail.kind !== 'ok') {
      problems.push(`"${action.name}" could not be read: ${apiFailure(detail, 'the token').found}`);
      continue;
    }
    const contract = parseJsonObject(detail.body)?.contract;
    const input =
      typeof contract === 'object' && contract !== null ? (contract as Record<string, unknown>).input : undefined;
    const output =
      typeof contract === 'object' && contract !== null ? (contract as Record<string, unknown>).output : undefined;
    const inputSchema =
      typeof input === 'object' && input !== null ? (input as Record<string, unknown>).inputSchema : undefined;
    const successSchema =
      typeof output === 'object' && output !== null ? (output as Record<string, unknown>).successSchema : undefined;
    const inputDiff = contractDifferences(deps.contracts.input, inputSchema);
    const outputDiff = contractDifferences(deps.contracts.output, successSchema);
    if (inputDiff.length > 0) problems.push(`"${action.name}": its input contract ${inputDiff.join('; ')}`);
    if (outputDiff.length > 0) problems.push(`"${action.name}": its output contract ${outputDiff.join('; ')}`);
  }
  const listed = found.map((a) => `"${a.name}"`).join(' and ');
  if (problems.length === 0)
    return set(
      'data-action',
      'pass',
      `${listed} ${found.length === 1 ? 'has' : 'have'} this repository's input and output contracts`,
    );
  set(
    'data-action',
    'warn',
    problems.join('; '),
    'npm run contracts, then terraform apply in infra/genesys/ ' +
      '(a changed contract re-creates the action: republish the flows that call it)',
  );
}
