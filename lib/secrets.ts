/**
 * Secrets: a source that fetches a secret string, and a per-container cache in front of it with a
 * maximum age, a rate-limited forced refresh (for rotation) and a single in-flight fetch shared by
 * concurrent invocations.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { raceSignal } from './abort';

/**
 * `config`: the secret cannot be used as configured (missing, access denied, not decryptable).
 * `unavailable`: Secrets Manager could not answer now (throttling, 5xx, network); worth retrying.
 * `retryAfterMs`: the cache will not read the secret again before this much time has passed.
 */
export type SecretError = { kind: 'config' | 'unavailable'; reason: string; retryAfterMs?: number };
export type SecretFetch = { ok: true; value: string } | { ok: false; error: SecretError };

export interface SecretSource {
  fetch(secretId: string, signal?: AbortSignal): Promise<SecretFetch>;
}

/** Error names of GetSecretValue that no retry can fix. */
const CONFIG_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDeniedError',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/**
 * Secrets Manager through the AWS SDK v3. The client honours the standard variables
 * (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_SECRETS_MANAGER`), so the same code talks to AWS
 * and to the loopback emulator. It is created on first use, not at import, to keep cold start lean.
 */
export function awsSecretSource(options: { requestTimeoutMs: number }): SecretSource {
  let client: SecretsManagerClient | undefined;
  return {
    async fetch(secretId, signal) {
      client ??= new SecretsManagerClient({
        // The SDK's default has no request timeout: a hung connection would eat the budget. Without
        // throwOnRequestTimeout the handler only logs when it passes, and the cache would share that
        // hung read with every later invocation of the container (found by the fault matrix).
        requestHandler: {
          requestTimeout: options.requestTimeoutMs,
          connectionTimeout: Math.min(options.requestTimeoutMs, 2000),
          throwOnRequestTimeout: true,
        },
        // One try per call: lib/flag.ts retries with its own backoff, which knows the deadline.
        maxAttempts: 1,
      });
      try {
        const reply = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: signal });
        if (typeof reply.SecretString !== 'string') {
          return { ok: false, error: { kind: 'config', reason: 'the secret has no SecretString (binary secrets are not supported)' } };
        }
        return { ok: true, value: reply.SecretString };
      } catch (error) {
        // The SDK names the error after the service's `__type`: an upstream string, kept only if
        // it looks like an AWS error name.
        const name = error instanceof Error && /^[A-Za-z][A-Za-z0-9.:_-]{0,63}$/.test(error.name) ? error.name : 'UnknownError';
        const kind = CONFIG_ERRORS.has(name) ? 'config' : 'unavailable';
        // Only the error's name: AWS messages can quote the secret's ARN, which is fine, but never its value.
        return { ok: false, error: { kind, reason: `Secrets Manager GetSecretValue failed: ${name}` } };
      }
    },
  };
}

export interface CachedSecretOptions {
  maxAgeMs: number;
  /**
   * A forced refresh is skipped when the cached value is younger than this, and a failed read is
   * remembered this long: no state of the secret lets callers drive Secrets Manager traffic.
   */
  minRefreshIntervalMs: number;
  now: () => number;
}

interface CacheEntry {
  result: SecretFetch;
  fetchedAt: number;
}

export interface SecretRead {
  /** After an auth failure: fetch again unless the value is younger than `minRefreshIntervalMs`. */
  refresh?: boolean;
  /**
   * The caller knows this value is refused upstream. Unless the cache holds another value already,
   * it is fetched again at once, ignoring `minRefreshIntervalMs`, but only once per value: after
   * that, `replacing` the same value is rate-limited like `refresh`.
   */
  replacing?: string;
}

export class CachedSecret {
  private entry: CacheEntry | undefined;
  private inFlight: Promise<SecretFetch> | undefined;
  /** The last value a `replacing` read was forced for. */
  private replaced: string | undefined;

  constructor(
    private readonly source: SecretSource,
    private readonly secretId: string,
    private readonly options: CachedSecretOptions,
  ) {}

  /**
   * The cached value while it is younger than `maxAgeMs`; otherwise one fetch, shared by every
   * concurrent caller. A failed fetch is answered from the cache for `minRefreshIntervalMs`, with
   * `retryAfterMs` saying how long is left. Each caller stops waiting when its own signal aborts,
   * without cancelling the fetch for the others.
   */
  async get(signal?: AbortSignal, read: SecretRead = {}): Promise<SecretFetch> {
    const wantsNewer = read.refresh === true || read.replacing !== undefined;
    // A read already under way is newer than anything cached.
    if (this.inFlight && wantsNewer) return raceSignal(this.inFlight, signal);
    const entry = this.entry;
    if (entry) {
      const age = this.options.now() - entry.fetchedAt;
      const { result } = entry;
      if (!result.ok) {
        if (age < this.options.minRefreshIntervalMs) {
          return { ok: false, error: { ...result.error, retryAfterMs: this.options.minRefreshIntervalMs - age } };
        }
      } else if (read.replacing !== undefined && result.value !== read.replacing) {
        return result;
      } else if (read.replacing !== undefined && this.replaced !== read.replacing) {
        this.replaced = read.replacing;
      } else if (age < (wantsNewer ? this.options.minRefreshIntervalMs : this.options.maxAgeMs)) {
        return result;
      }
    }
    this.inFlight ??= this.fetch();
    return raceSignal(this.inFlight, signal);
  }

  private async fetch(): Promise<SecretFetch> {
    try {
      const result = await this.source.fetch(this.secretId);
      this.entry = { result, fetchedAt: this.options.now() };
      if (result.ok) return result;
      return { ok: false, error: { ...result.error, retryAfterMs: this.options.minRefreshIntervalMs } };
    } finally {
      this.inFlight = undefined;
    }
  }
}
