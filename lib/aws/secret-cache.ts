/**
 * A per-container cache in front of a secret: a maximum age, a rate-limited forced refresh (after
 * an auth failure, for rotation), failures remembered as long as that rate limit, and one read in
 * flight shared by concurrent invocations.
 */
import { raceSignal } from '../deadline';
import type { SecretFetch, SecretSource } from './secret-source';

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
  /**
   * A read ahead of traffic (during a Lambda init): if it fails, the failure is not remembered, so
   * the first invocation reads the secret itself, as it would have without the prefetch.
   */
  prefetch?: boolean;
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
    this.inFlight ??= this.fetch(read.prefetch === true);
    return raceSignal(this.inFlight, signal);
  }

  private async fetch(prefetch: boolean): Promise<SecretFetch> {
    try {
      const result = await this.source.fetch(this.secretId);
      if (result.ok) {
        this.entry = { result, fetchedAt: this.options.now() };
        return result;
      }
      if (prefetch) return result;
      this.entry = { result, fetchedAt: this.options.now() };
      return { ok: false, error: { ...result.error, retryAfterMs: this.options.minRefreshIntervalMs } };
    } finally {
      this.inFlight = undefined;
    }
  }
}
