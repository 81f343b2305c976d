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
 */
export type SecretError = { kind: 'config' | 'unavailable'; reason: string };
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
        const name = error instanceof Error ? error.name : 'UnknownError';
        const kind = CONFIG_ERRORS.has(name) ? 'config' : 'unavailable';
        // Only the error's name: AWS messages can quote the secret's ARN, which is fine, but never its value.
        return { ok: false, error: { kind, reason: `Secrets Manager GetSecretValue failed: ${name}` } };
      }
    },
  };
}

export interface CachedSecretOptions {
  maxAgeMs: number;
  /** A forced refresh is skipped when the cached value is younger than this. */
  minRefreshIntervalMs: number;
  now: () => number;
}

interface CacheEntry {
  value: string;
  fetchedAt: number;
}

export class CachedSecret {
  private entry: CacheEntry | undefined;
  private inFlight: Promise<SecretFetch> | undefined;

  constructor(
    private readonly source: SecretSource,
    private readonly secretId: string,
    private readonly options: CachedSecretOptions,
  ) {}

  /**
   * The cached value while it is younger than `maxAgeMs`; otherwise one fetch, shared by every
   * concurrent caller. `refresh: true` (after an auth failure) fetches again unless the value is
   * younger than `minRefreshIntervalMs`. Each caller stops waiting when its own signal aborts,
   * without cancelling the fetch for the others.
   */
  async get(signal?: AbortSignal, opts: { refresh?: boolean } = {}): Promise<SecretFetch> {
    const age = this.entry ? this.options.now() - this.entry.fetchedAt : Number.POSITIVE_INFINITY;
    const limit = opts.refresh ? this.options.minRefreshIntervalMs : this.options.maxAgeMs;
    if (this.entry && age < limit) return { ok: true, value: this.entry.value };
    this.inFlight ??= this.fetch();
    return raceSignal(this.inFlight, signal);
  }

  private async fetch(): Promise<SecretFetch> {
    try {
      const result = await this.source.fetch(this.secretId);
      if (result.ok) this.entry = { value: result.value, fetchedAt: this.options.now() };
      return result;
    } finally {
      this.inFlight = undefined;
    }
  }
}
