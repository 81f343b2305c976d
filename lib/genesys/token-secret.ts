/**
 * Token mode: the OAuth token comes from a secret that functions/rotate-token.ts keeps fresh,
 * `{"accessToken": "...", "expiresAt": "<ISO-8601>", "environment": "mypurecloud.ie"}`. The flagging
 * path never sees a client secret. The token is cached until shortly before `expiresAt`, and the
 * secret is re-read (rate-limited by the secret cache) when it nears expiry, and at once (once per
 * token) when Genesys refuses it: the rotation may have replaced and revoked it since it was cached.
 * What a refusal costs is in SecretTokenSource's comment.
 */
import { AbortedError } from '../deadline';
import { parseJsonObject } from '../json';
import { err, ok, type Result } from '../result';
import type { CachedSecret } from '../aws/secret-cache';
import type { SecretFetch } from '../aws/secret-source';
import { type Sensitive, sensitive } from '../sensitive';
import { fromSecretError, type AccessToken, type TokenFetch, type TokenSource } from './oauth-tokens';
import { resolveHosts } from './environments';

export interface StoredToken {
  accessToken: Sensitive;
  /** Epoch ms. */
  expiresAt: number;
  environment: string;
}

export type StoredTokenParse = Result<StoredToken, string>;

export function parseStoredToken(secretString: Sensitive): StoredTokenParse {
  const record = parseJsonObject(secretString.reveal());
  if (!record)
    return err('the token secret is not a JSON object: expected {"accessToken", "expiresAt", "environment"}');
  const missing = ['accessToken', 'expiresAt'].filter(
    (k) => typeof record[k] !== 'string' || (record[k] as string) === '',
  );
  if (missing.length > 0) return err(`the token secret lacks ${missing.join(', ')}`);
  const expiresAt = Date.parse(record.expiresAt as string);
  if (Number.isNaN(expiresAt)) return err('the token secret has an expiresAt that is not an ISO-8601 date');
  // "" only makes sense with both hosts overridden; resolveHosts refuses it otherwise.
  const environment = typeof record.environment === 'string' ? record.environment : '';
  return ok({ accessToken: sensitive(record.accessToken as string), expiresAt, environment });
}

/** The secret string to store, as Sensitive as the token it holds. */
export function formatStoredToken(token: StoredToken): Sensitive {
  const secretString = JSON.stringify({
    accessToken: token.accessToken.reveal(),
    expiresAt: new Date(token.expiresAt).toISOString(),
    environment: token.environment,
  });
  return sensitive(secretString);
}

export interface SecretTokenSourceOptions {
  now: () => number;
  refreshMarginMs: number;
  /**
   * How long a confirmed refusal (a second 401 on the same token) is remembered: meanwhile the
   * token is not sent again unless the secret holds a newer one; afterwards it is tried once more.
   * The function passes SECRET_MIN_REFRESH_INTERVAL_MS.
   */
  refusalMemoryMs: number;
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string };
}

/** Genesys refused the token of `secretString` (401) at `at`; `confirmed` once it refused it a second time. */
interface Refusal {
  secretString: Sensitive;
  tokenValue: Sensitive;
  at: number;
  confirmed: boolean;
}

/**
 * A 401 on the stored token costs nothing lasting. The first one makes the next `get` re-read the
 * secret at once (the rotation may have replaced the token): a newer token is used straight
 * away; the same one is handed out once more, marked `afterRefusal`, for a second try after a
 * short wait. Only a 401 on that second try confirms the refusal, which is remembered for
 * `refusalMemoryMs`: until then the token is not sent (AUTH_FAILED, no request), afterwards one
 * flag sends it once (a probe, no second try). Any other answer on the token (`accepted`) clears
 * the refusal. So a passing refusal costs one retry, and a revoked token at most one request per
 * `refusalMemoryMs` per container.
 */
export class SecretTokenSource implements TokenSource {
  private cached: { token: AccessToken; secretString: Sensitive } | undefined;
  private refusal: Refusal | undefined;
  readonly refusedAgain =
    'Genesys refused the token from the token secret again after re-reading the secret (401): is its rotation running?';

  constructor(
    private readonly secret: CachedSecret,
    private readonly options: SecretTokenSourceOptions,
  ) {}

  async get(signal?: AbortSignal, options: { prefetch?: boolean } = {}): Promise<TokenFetch> {
    if (this.cached && this.options.now() < this.cached.token.renewAt) return ok(this.cached.token);

    let fetched: SecretFetch;
    try {
      const read =
        this.refusal === undefined
          ? { refresh: true, prefetch: options.prefetch === true }
          : { replacing: this.refusal.secretString };
      fetched = await this.secret.get(signal, read);
    } catch (error) {
      if (error instanceof AbortedError)
        return err({ kind: 'deadline', reason: 'deadline reached while reading the token secret', status: 0 });
      throw error;
    }
    if (!fetched.ok) return err(fromSecretError(fetched.error));
    // As they are now: concurrent flags may have changed them while this one waited for the secret.
    const now = this.options.now();
    const { refusal } = this;
    const sameAsRefused = refusal !== undefined && fetched.value.equals(refusal.secretString);
    if (refusal && sameAsRefused && refusal.confirmed && now - refusal.at < this.options.refusalMemoryMs) {
      const seconds = Math.ceil((this.options.refusalMemoryMs - (now - refusal.at)) / 1000);
      return err({
        kind: 'auth',
        reason:
          'Genesys refused the token in the token secret twice (401), and the secret holds no newer one: ' +
          `is its rotation running? It is tried again in ${seconds} s`,
        status: 401,
      });
    }
    const parsed = parseStoredToken(fetched.value);
    if (!parsed.ok) return err({ kind: 'config', reason: parsed.error, status: 0 });
    const stored = parsed.value;
    if (stored.expiresAt <= now) {
      const at = new Date(stored.expiresAt).toISOString();
      return err({
        kind: 'auth',
        reason: `the token in the token secret expired at ${at}: is its rotation running?`,
        status: 0,
      });
    }
    const hosts = resolveHosts(stored.environment, this.options.overrides);
    if (!hosts.ok) {
      return err({ kind: 'config', reason: hosts.error.replace('credentials secret', 'token secret'), status: 0 });
    }
    const token: AccessToken = {
      value: stored.accessToken,
      apiBaseUrl: hosts.value.apiBaseUrl,
      // Close to expiry (rotation late or stopped) the token is still used, but the secret is
      // looked at again on the next call (the secret cache rate-limits those reads).
      renewAt: Math.max(now, stored.expiresAt - this.options.refreshMarginMs),
      expiresAt: stored.expiresAt,
    };
    if (refusal && sameAsRefused) {
      // Not cached: every flag meanwhile decides again, from the (cached) secret and the refusal.
      if (refusal.confirmed) {
        // The one probe once the memory has passed: no second try, and the memory starts again
        // now, so concurrent flags do not probe too.
        this.refusal = { ...refusal, at: now };
        return ok(token);
      }
      return ok({ ...token, afterRefusal: true });
    }
    this.cached = { token, secretString: fetched.value };
    this.refusal = undefined;
    return ok(token);
  }

  /** Genesys refused this token (401): see the class comment for what follows. */
  invalidate(token: AccessToken): void {
    const now = this.options.now();
    const { refusal } = this;
    if (refusal?.tokenValue.equals(token.value)) {
      // A second try or a probe refused again confirms it; a first try that was in flight
      // alongside the one that opened the refusal changes nothing.
      if (token.afterRefusal === true || refusal.confirmed) this.refusal = { ...refusal, confirmed: true, at: now };
      return;
    }
    if (!this.cached?.token.value.equals(token.value)) return; // the secret has moved on since
    this.refusal = { secretString: this.cached.secretString, tokenValue: token.value, at: now, confirmed: false };
    this.cached = undefined;
  }

  /** Genesys answered a request made with this token: a refusal of it is over. */
  accepted(token: AccessToken): void {
    const { refusal } = this;
    if (!refusal?.tokenValue.equals(token.value)) return;
    this.refusal = undefined;
    // Cached as a plain token again: the next flags send it at once, not as a second try.
    const { value, apiBaseUrl, renewAt, expiresAt } = token;
    this.cached = { token: { value, apiBaseUrl, renewAt, expiresAt }, secretString: refusal.secretString };
  }
}
