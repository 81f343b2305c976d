/**
 * Environment -> Config, read once per container: the one module that reads the environment
 * (a test holds lib/ to it). Every tunable has a default chosen for an Architect data action; the
 * reason for each default is next to it. Parsing never throws: a bad value becomes a reason that
 * the function reports as CONFIG_ERROR on every invocation.
 */
import { err, ok, type Result } from './result';

/**
 * A participant's `purpose` as this function accepts it (`customer`, `agent`, `external`, ...): a
 * letter, then letters, digits, `_` or `-`, 64 characters at most. It is compared, never sent.
 */
export const PARTICIPANT_PURPOSE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export interface AttributeLimits {
  maxCount: number;
  maxKeyLength: number;
  maxValueLength: number;
  /** Size of the serialised `{"attributes": {...}}` body in UTF-8 bytes. */
  maxBodyBytes: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  /** Client-credentials mode: the secret with the OAuth client ("" in token mode). */
  credentialsSecretId: string;
  /** Token mode: the secret a rotation function keeps a live token in; the client secret is never read. */
  tokenSecretId?: string;
  apiBaseUrl?: string;
  /** GENESYS_HTTPS_PROXY: Genesys traffic tunnels through this proxy (http://host:port). */
  genesysProxyUrl?: string;
  loginBaseUrl?: string;
  deadlineMs: number;
  safetyMarginMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  pollBaseMs: number;
  pollCapMs: number;
  attemptTimeoutMs: number;
  minAttemptMs: number;
  secretMaxAgeMs: number;
  secretMinRefreshIntervalMs: number;
  tokenRefreshMarginMs: number;
  defaultParticipantPurpose: string;
  batchConcurrency: number;
  batchStartIntervalMs: number;
  initPrefetchMs: number;
  limits: AttributeLimits;
  metrics: { namespace: string; functionName: string };
  logLevel: LogLevel;
  /** WEBHOOK_TOKEN_SECRET_ID: the webhook's bearer token secret ("" where there is none). */
  webhookTokenSecretId: string;
  /**
   * AWS_LAMBDA_INITIALIZATION_TYPE, as Lambda sets it: `on-demand` means a caller may already be
   * waiting while the init runs (container.ts counts it against the first invocation).
   */
  initializationType: string;
  /** Which queue message bodies the queue door takes (QUEUE_ACCEPTS, EVENT_SOURCES). */
  queueBodies: BodyRules;
}

export interface BodyRules {
  /** Whether a body that is the event itself (sent straight to the queue, not by the rule) is taken. */
  plain: boolean;
  /**
   * The EventBridge sources whose envelopes are taken (with detail-type "Identity Verified"), or
   * 'any' for every envelope: what a run without the stack's environment (npm start, tests) gets.
   */
  sources: ReadonlySet<string> | 'any';
}

/** No rule beyond the shape: the door as it is outside a stack that names its producers. */
export const ANY_BODY: BodyRules = { plain: true, sources: 'any' };

export type Env = Readonly<Record<string, string | undefined>>;

interface NumericSetting {
  env: string;
  default: number;
  min: number;
  max: number;
}

/** Name, default and bounds of every numeric tunable; docs/configuration.md's table mirrors this. */
export const NUMERIC_SETTINGS = {
  // Architect keeps the caller listening while the action runs; 8 s is long enough for a
  // participant that appears a few seconds after connect and well inside the 10 s Lambda timeout.
  deadlineMs: { env: 'FLAG_DEADLINE_MS', default: 8000, min: 1, max: 900_000 },
  // Time kept back from the Lambda's own end to log and return a status instead of being killed.
  safetyMarginMs: { env: 'FLAG_SAFETY_MARGIN_MS', default: 500, min: 0, max: 60_000 },
  // A participant usually resolves within a second of connect: start small, double, cap at 1 s.
  backoffBaseMs: { env: 'FLAG_BACKOFF_BASE_MS', default: 100, min: 1, max: 60_000 },
  backoffCapMs: { env: 'FLAG_BACKOFF_CAP_MS', default: 1000, min: 1, max: 300_000 },
  // Polling for a participant not resolved yet: 150, 300, then 560 ms windows, 80 % fixed and 20 %
  // random (lib/core/backoff.ts pollDelay). Measured in bench/: p95 lag after the participant appears stays
  // near 500 ms, and a participant that takes 4 s costs at most 12 requests.
  pollBaseMs: { env: 'FLAG_POLL_BASE_MS', default: 150, min: 1, max: 60_000 },
  pollCapMs: { env: 'FLAG_POLL_CAP_MS', default: 560, min: 1, max: 300_000 },
  // One hung connection must not eat the whole budget; Genesys answers in well under a second.
  attemptTimeoutMs: { env: 'FLAG_ATTEMPT_TIMEOUT_MS', default: 3000, min: 1, max: 900_000 },
  // A retry with less time than this left would be cut off before Genesys could answer it (and a
  // cut-off PATCH may still land, unreported): stop and report the last answer instead.
  minAttemptMs: { env: 'FLAG_MIN_ATTEMPT_MS', default: 50, min: 0, max: 60_000 },
  // Credentials change rarely; 5 minutes bounds how long a rotated secret takes to be seen.
  secretMaxAgeMs: { env: 'SECRET_CACHE_MAX_AGE_MS', default: 300_000, min: 0, max: 86_400_000 },
  // After an auth failure the secret is re-read, but at most this often, so a misconfigured
  // client cannot turn every invocation into a Secrets Manager call.
  secretMinRefreshIntervalMs: { env: 'SECRET_MIN_REFRESH_INTERVAL_MS', default: 10_000, min: 0, max: 3_600_000 },
  // Renew the OAuth token this long before Genesys says it expires (clock skew, long calls).
  tokenRefreshMarginMs: { env: 'TOKEN_REFRESH_MARGIN_MS', default: 60_000, min: 0, max: 3_600_000 },
  // Architect documents 50 attributes of at most 256 characters; no REST limit is published,
  // so these stay configurable. Keys are short identifiers in practice.
  maxCount: { env: 'ATTR_MAX_COUNT', default: 50, min: 1, max: 1000 },
  maxKeyLength: { env: 'ATTR_MAX_KEY_LENGTH', default: 128, min: 1, max: 1024 },
  maxValueLength: { env: 'ATTR_MAX_VALUE_LENGTH', default: 256, min: 0, max: 100_000 },
  // The platform caps a request at 512000 bytes; 32 KiB is plenty for flags and far from it.
  maxBodyBytes: { env: 'ATTR_MAX_BODY_BYTES', default: 32_768, min: 16, max: 512_000 },
  // Records of one SQS batch flagged at once: the whole default batch of 10, so a batch costs about
  // its slowest record (bench/). Most flags are one request, a burst of 10 is far inside the
  // per-token limit of about 300 a minute, and 429s are honoured anyway.
  batchConcurrency: { env: 'BATCH_CONCURRENCY', default: 10, min: 1, max: 100 },
  // The queue door's share of the one shared token (about 300 requests a minute): a container
  // starts at most one record per interval, so N containers start at most N per interval, and a
  // backlog cannot take the budget a caller on hold needs. 0: no pacing. serverless.yml sets it.
  batchStartIntervalMs: { env: 'BATCH_START_INTERVAL_MS', default: 0, min: 0, max: 60_000 },
  // A container initialised ahead of traffic (provisioned concurrency, proactive initialisation)
  // reads the secret and gets a token during init, so its first flag is one request. Lambda gives
  // init 10 s; a prefetch that takes longer than this is left to the first invocation. 0: none.
  // After an on-demand init its time counts against the first caller's deadline, so it must also
  // leave that deadline one attempt timeout (checked below).
  initPrefetchMs: { env: 'FLAG_INIT_PREFETCH_MS', default: 3000, min: 0, max: 9000 },
} satisfies Record<string, NumericSetting>;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** LOG_LEVEL's default, and the logger's when it is given none. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
/** DEFAULT_PARTICIPANT_PURPOSE's default: the caller's side of a call. */
const DEFAULT_PURPOSE = 'customer';

const DEFAULT_METRICS_NAMESPACE = 'GenesysParticipantFlagger';

/**
 * The host of each override in force, by its variable: what a door logs at init, since an override
 * sends Genesys traffic (and, for the login host, the client secret) where the deployer pointed it.
 * Hosts only: a parsed override has no user info, and its path says nothing an operator needs.
 */
export function overridesInForce(config: Pick<Config, 'apiBaseUrl' | 'loginBaseUrl'>): Record<string, string> {
  const hosts: Record<string, string> = {};
  if (config.apiBaseUrl) hosts.GENESYS_API_BASE_URL = new URL(config.apiBaseUrl).host;
  if (config.loginBaseUrl) hosts.GENESYS_LOGIN_BASE_URL = new URL(config.loginBaseUrl).host;
  return hosts;
}

/**
 * The configuration, or why it is invalid, with the settings to fall back on meanwhile (each bad
 * value replaced by its default): what logging, metrics and a deadline still need while every flag
 * answers CONFIG_ERROR.
 */
export type ConfigParse = Result<Config, { reason: string; fallback: Config }>;

export function loadConfig(env: Env): ConfigParse {
  const problems: string[] = [];
  const numbers = readNumbers(env, problems);
  if (numbers.backoffCapMs < numbers.backoffBaseMs) {
    problems.push('FLAG_BACKOFF_CAP_MS must not be below FLAG_BACKOFF_BASE_MS');
  }
  if (numbers.pollCapMs < numbers.pollBaseMs) {
    problems.push('FLAG_POLL_CAP_MS must not be below FLAG_POLL_BASE_MS');
  }
  // The attempt timeout also bounds the requests the flags of a container share (the secret read's
  // SDK request, the token request): one longer than the deadline would outlast every flag that
  // could be waiting on it.
  if (numbers.attemptTimeoutMs > numbers.deadlineMs) {
    problems.push(
      `FLAG_ATTEMPT_TIMEOUT_MS (${numbers.attemptTimeoutMs}) must not be above ` +
        `FLAG_DEADLINE_MS (${numbers.deadlineMs}): one request would outlast the flag waiting on it`,
    );
  }
  // After an on-demand init, the init's time counts against the first caller's deadline (see
  // container.ts): a prefetch that used its whole budget must leave that caller one attempt.
  else if (numbers.initPrefetchMs > 0 && numbers.initPrefetchMs + numbers.attemptTimeoutMs > numbers.deadlineMs) {
    problems.push(
      `FLAG_INIT_PREFETCH_MS (${numbers.initPrefetchMs}) plus FLAG_ATTEMPT_TIMEOUT_MS (${numbers.attemptTimeoutMs}) ` +
        `must fit in FLAG_DEADLINE_MS (${numbers.deadlineMs}): after an on-demand init, the init's time counts ` +
        "against the first caller's deadline, which must keep room for one attempt",
    );
  }

  const credentialsSecretId = env.GENESYS_CREDENTIALS_SECRET_ID?.trim() ?? '';
  const tokenSecretId = env.GENESYS_TOKEN_SECRET_ID?.trim() ?? '';
  if (credentialsSecretId === '' && tokenSecretId === '')
    problems.push('GENESYS_CREDENTIALS_SECRET_ID is not set (nor GENESYS_TOKEN_SECRET_ID)');

  const apiBaseUrl = parseBaseUrl(env, 'GENESYS_API_BASE_URL', problems);
  const loginBaseUrl = parseBaseUrl(env, 'GENESYS_LOGIN_BASE_URL', problems);
  const genesysProxyUrl = parseProxyUrl(env, problems);

  let purpose = env.DEFAULT_PARTICIPANT_PURPOSE?.trim() || DEFAULT_PURPOSE;
  if (!PARTICIPANT_PURPOSE.test(purpose)) {
    problems.push(`DEFAULT_PARTICIPANT_PURPOSE must be a purpose name such as "${DEFAULT_PURPOSE}"`);
    purpose = DEFAULT_PURPOSE;
  }

  let namespace = env.METRICS_NAMESPACE?.trim() || DEFAULT_METRICS_NAMESPACE;
  if (!/^[A-Za-z0-9._/#:-]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
    problems.push(
      'METRICS_NAMESPACE must be a CloudWatch namespace (letters, digits, . _ / # : -), not starting with AWS/',
    );
    namespace = DEFAULT_METRICS_NAMESPACE;
  }

  const level = readLogLevel(env, problems);

  const config: Config = {
    credentialsSecretId,
    ...(tokenSecretId ? { tokenSecretId } : {}),
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
    ...(genesysProxyUrl ? { genesysProxyUrl } : {}),
    ...(loginBaseUrl ? { loginBaseUrl } : {}),
    deadlineMs: numbers.deadlineMs,
    safetyMarginMs: numbers.safetyMarginMs,
    backoffBaseMs: numbers.backoffBaseMs,
    backoffCapMs: numbers.backoffCapMs,
    pollBaseMs: numbers.pollBaseMs,
    pollCapMs: numbers.pollCapMs,
    attemptTimeoutMs: numbers.attemptTimeoutMs,
    minAttemptMs: numbers.minAttemptMs,
    secretMaxAgeMs: numbers.secretMaxAgeMs,
    secretMinRefreshIntervalMs: numbers.secretMinRefreshIntervalMs,
    tokenRefreshMarginMs: numbers.tokenRefreshMarginMs,
    defaultParticipantPurpose: purpose,
    batchConcurrency: numbers.batchConcurrency,
    batchStartIntervalMs: numbers.batchStartIntervalMs,
    initPrefetchMs: numbers.initPrefetchMs,
    metrics: { namespace, functionName: env.AWS_LAMBDA_FUNCTION_NAME?.trim() || 'local' },
    limits: {
      maxCount: numbers.maxCount,
      maxKeyLength: numbers.maxKeyLength,
      maxValueLength: numbers.maxValueLength,
      maxBodyBytes: numbers.maxBodyBytes,
    },
    logLevel: level,
    webhookTokenSecretId: env.WEBHOOK_TOKEN_SECRET_ID?.trim() ?? '',
    initializationType: env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() ?? '',
    queueBodies: bodyRulesFrom(env),
  };
  return problems.length > 0 ? err({ reason: `configuration: ${problems.join('; ')}`, fallback: config }) : ok(config);
}

/** What the webhook's authorizer needs: its own function, with none of the Genesys settings. */
export interface AuthorizerConfig {
  /** WEBHOOK_TOKEN_SECRET_ID ("" where unset: every request is then refused as unavailable). */
  webhookTokenSecretId: string;
  /** One Secrets Manager attempt (FLAG_ATTEMPT_TIMEOUT_MS) and the init's read (FLAG_INIT_PREFETCH_MS). */
  attemptTimeoutMs: number;
  initPrefetchMs: number;
  /** Kept back from the Lambda's remaining time (FLAG_SAFETY_MARGIN_MS), to answer before it ends. */
  safetyMarginMs: number;
  /** How long the token's secret is cached (SECRET_CACHE_MAX_AGE_MS), as the webhook caches it. */
  secretMaxAgeMs: number;
  logLevel: LogLevel;
}

/** The authorizer's settings, or why they are invalid (with the defaults to log with meanwhile). */
export function loadAuthorizerConfig(
  env: Env,
): Result<AuthorizerConfig, { reason: string; fallback: AuthorizerConfig }> {
  const problems: string[] = [];
  const numbers = readNumbers(env, problems, [
    'attemptTimeoutMs',
    'initPrefetchMs',
    'safetyMarginMs',
    'secretMaxAgeMs',
  ]);
  const config: AuthorizerConfig = {
    webhookTokenSecretId: env.WEBHOOK_TOKEN_SECRET_ID?.trim() ?? '',
    attemptTimeoutMs: numbers.attemptTimeoutMs,
    initPrefetchMs: numbers.initPrefetchMs,
    safetyMarginMs: numbers.safetyMarginMs,
    secretMaxAgeMs: numbers.secretMaxAgeMs,
    logLevel: readLogLevel(env, problems),
  };
  return problems.length > 0 ? err({ reason: `configuration: ${problems.join('; ')}`, fallback: config }) : ok(config);
}

type NumericName = keyof typeof NUMERIC_SETTINGS;

/** The numeric settings (`names`, default all): each bad value is a problem, and its default stands in. */
function readNumbers(env: Env, problems: string[], names?: readonly NumericName[]): Record<NumericName, number> {
  const numbers = {} as Record<NumericName, number>;
  for (const [name, setting] of Object.entries(NUMERIC_SETTINGS) as [NumericName, NumericSetting][]) {
    numbers[name] = setting.default;
    if (names && !names.includes(name)) continue;
    const raw = env[setting.env]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < setting.min || value > setting.max) {
      problems.push(`${setting.env} must be a whole number from ${setting.min} to ${setting.max}`);
    } else {
      numbers[name] = value;
    }
  }
  return numbers;
}

function readLogLevel(env: Env, problems: string[]): LogLevel {
  const level = LOG_LEVELS.find((l) => l === (env.LOG_LEVEL?.trim().toLowerCase() || DEFAULT_LOG_LEVEL));
  if (level) return level;
  problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return DEFAULT_LOG_LEVEL;
}

/**
 * The bodies the queue door takes, as the stack sets them: QUEUE_ACCEPTS, `eventbridge` or
 * `eventbridge,plain` (plain only where the stack names direct senders), and EVENT_SOURCES, the
 * comma-separated sources its rule matches (absent: none). Without QUEUE_ACCEPTS, ANY_BODY. A word
 * QUEUE_ACCEPTS does not know takes nothing: a typo must not open the door.
 */
export function bodyRulesFrom(env: Env): BodyRules {
  const accepts = env.QUEUE_ACCEPTS?.trim();
  if (accepts === undefined || accepts === '') return ANY_BODY;
  const words = accepts.split(',').map((w) => w.trim());
  if (words.some((w) => w !== 'eventbridge' && w !== 'plain')) return { plain: false, sources: new Set() };
  const sources = words.includes('eventbridge')
    ? (env.EVENT_SOURCES ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];
  return { plain: words.includes('plain'), sources: new Set(sources) };
}

/**
 * An explicit host override (emulator, proxy): an http(s) URL with no user info, query or fragment.
 * User info is refused whether it holds a user name, a password or both (`https://:pw@host` has
 * only a password): the client secret and tokens go in headers, never in a URL someone could log.
 */
function parseBaseUrl(env: Env, name: string, problems: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} is not a URL`);
    return undefined;
  }
  // An empty query or fragment ("https://host/?") leaves `search` and `hash` empty, yet the base would
  // keep its "?" or "#", and every path appended to it would become a query or a fragment. In a
  // parsed URL's href either character can only start one of them (elsewhere they are escaped).
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    /[?#]/.test(url.href) ||
    url.username ||
    url.password
  ) {
    problems.push(`${name} must be an http(s) URL without user info (a user name or password), query or fragment`);
    return undefined;
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The deployer's explicit egress proxy: http://host:port and nothing else. Generic variables such as
 * HTTPS_PROXY are never read: a token must not follow a variable that something else injected.
 */
function parseProxyUrl(env: Env, problems: string[]): string | undefined {
  const raw = env.GENESYS_HTTPS_PROXY?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push('GENESYS_HTTPS_PROXY is not a URL');
    return undefined;
  }
  if (
    url.protocol !== 'http:' ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    problems.push('GENESYS_HTTPS_PROXY must be http://host:port, without credentials, path or query');
    return undefined;
  }
  return url.origin;
}
