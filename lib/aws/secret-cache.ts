/**
 * A per-container cache in front of a secret: a maximum age, a rate-limited forced refresh (after
 * an auth failure, for rotation), failures remembered as long as that rate limit (the last good
 * value served meanwhile when Secrets Manager is only unavailable), and one read in flight shared
 * by concurrent invocations, abandoned once none of them waits for it any more.
 */
import { SharedWork } from '../deadline';
import { err, ok } from '../result';
import type { Sensitive } from '../sensitive';
import type { SecretError, SecretFetch, SecretSource } from './secret-source';

export interface CachedSecretOptions {
  maxAgeMs: number;
  /**
   * A forced refresh is skipped when the cached value is younger than this, and a failed read is
   * remembered this long: no state of the secret lets callers drive Secrets Manager traffic.
   */
  minRefreshIntervalMs: number;
  now: () => number;
}

/** The last value read. */
interface CachedValue {
  value: Sensitive;
  fetchedAt: number;
}

/** The last read that failed, remembered for `minRefreshIntervalMs`. */
interface Failure {
  error: SecretError;
  at: number;
}

export interface SecretRead {
  /** After an auth failure: fetch again unless the value is younger than `minRefreshIntervalMs`. */
  refresh?: boolean;
  /**
   * The caller knows this value is refused upstream. Unless the cache holds another value already,
   * it is fetched again at once, ignoring `minRefreshIntervalMs`, but only once per value: after
   * that, `replacing` the same value is rate-limited like `refresh`.
   */
  replacing?: Sensitive;
  /**
   * A read ahead of traffic (during a Lambda init): a failure is not remembered, so the first
   * invocation reads the secret itself, as it would have without the prefetch. (Like every read,
   * it is abandoned when the callers waiting for it, here the prefetch alone, have stopped.)
   */
  prefetch?: boolean;
}

export class CachedSecret {
  private cached: CachedValue | undefined;
  private failure: Failure | undefined;
  private readonly reads = new SharedWork<SecretFetch>();
  /** The last value a `replacing` read was forced for. */
  private replaced: Sensitive | undefined;

  constructor(
    private readonly source: SecretSource,
    private readonly secretId: string,
    private readonly options: CachedSecretOptions,
  ) {}

  /**
   * The cached value while it is younger than `maxAgeMs`; otherwise one fetch, shared by every
   * concurrent caller. A failed fetch is remembered for `minRefreshIntervalMs`, with `retryAfterMs`
   * saying how long is left; while Secrets Manager is only unavailable (throttling, 5xx, network),
   * a value read earlier is served instead, unless the caller is `replacing` that very value. Each
   * caller stops waiting when its own signal aborts (AbortedError), without cancelling the fetch
   * for the others; once the last has stopped, the fetch is abandoned (see SharedWork).
   */
  async get(signal?: AbortSignal, read: SecretRead = {}): Promise<SecretFetch> {
    const wantsNewer = read.refresh === true || read.replacing !== undefined;
    const fetch = (work: AbortSignal): Promise<SecretFetch> => this.fetch(read, work);
    // A read already under way is newer than anything cached.
    if (this.reads.running && wantsNewer) return this.reads.join(fetch, signal);
    const now = this.options.now();
    if (this.failure && now - this.failure.at < this.options.minRefreshIntervalMs)
      return this.afterFailure(this.failure, read, now);
    const { cached } = this;
    if (cached) {
      const age = now - cached.fetchedAt;
      if (read.replacing !== undefined && !cached.value.equals(read.replacing)) return ok(cached.value);
      if (read.replacing !== undefined && !read.replacing.equals(this.replaced)) this.replaced = read.replacing;
      else if (age < (wantsNewer ? this.options.minRefreshIntervalMs : this.options.maxAgeMs)) return ok(cached.value);
    }
    return this.reads.join(fetch, signal);
  }

  /** One GetSecretValue, abandoned when `signal` aborts: nobody waits for it any more. */
  private async fetch(read: SecretRead, signal: AbortSignal): Promise<SecretFetch> {
    const result = await this.source.fetch(this.secretId, signal);
    const now = this.options.now();
    if (result.ok) {
      this.cached = { value: result.value, fetchedAt: now };
      this.failure = undefined;
      return result;
    }
    // A read ahead of traffic, or one abandoned by its callers, teaches nothing worth remembering.
    if (read.prefetch === true || signal.aborted) return result;
    this.failure = { error: result.error, at: now };
    return this.afterFailure(this.failure, read, now);
  }

  private afterFailure(failure: Failure, read: SecretRead, now: number): SecretFetch {
    const stale = this.cached;
    if (stale && failure.error.kind === 'unavailable' && !stale.value.equals(read.replacing)) return ok(stale.value);
    return err({ ...failure.error, retryAfterMs: this.options.minRefreshIntervalMs - (now - failure.at) });
  }
}
