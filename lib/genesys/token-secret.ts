/**
 * Token mode: the OAuth token comes from a secret that functions/rotate-token.ts keeps fresh,
 * `{"accessToken": "...", "expiresAt": "<ISO-8601>", "environment": "mypurecloud.ie"}`. The flagging
 * path never sees a client secret. The token is cached until shortly before `expiresAt`, and the
 * secret is re-read (rate-limited by the secret cache) when it nears expiry, and at once (once per
 * token) when Genesys refuses it: the rotation may have replaced and revoked it since it was cached.
 */
import { parseJsonObject } from '../json';
import type { CachedSecret } from '../aws/secret-cache';
import { fromSecretError, type AccessToken, type TokenFetch, type TokenSource } from './oauth-tokens';
import { resolveHosts } from './environments';

export interface StoredToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  environment: string;
}

export type StoredTokenParse = { ok: true; token: StoredToken } | { ok: false; reason: string };

export function parseStoredToken(secretString: string): StoredTokenParse {
  const record = parseJsonObject(secretString);
  if (!record) return { ok: false, reason: 'the token secret is not a JSON object: expected {"accessToken", "expiresAt", "environment"}' };
  const missing = ['accessToken', 'expiresAt'].filter((k) => typeof record[k] !== 'string' || (record[k] as string) === '');
  if (missing.length > 0) return { ok: false, reason: `the token secret lacks ${missing.join(', ')}` };
  const expiresAt = Date.parse(record.expiresAt as string);
  if (Number.isNaN(expiresAt)) return { ok: false, reason: 'the token secret has an expiresAt that is not an ISO-8601 date' };
  // "" only makes sense with both hosts overridden; resolveHosts refuses it otherwise.
  const environment = typeof record.environment === 'string' ? record.environment : '';
  return { ok: true, token: { accessToken: record.accessToken as string, expiresAt, environment } };
}

export function formatStoredToken(token: StoredToken): string {
  return JSON.stringify({ accessToken: token.accessToken, expiresAt: new Date(token.expiresAt).toISOString(), environment: token.environment });
}

export interface SecretTokenSourceOptions {
  now: () => number;
  refreshMarginMs: number;
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string };
}

export class SecretTokenSource implements TokenSource {
  private cached: { token: AccessToken; secretString: string } | undefined;
  /** The secret string whose token Genesys refused last. */
  private refused: string | undefined;

  constructor(
    private readonly secret: CachedSecret,
    private readonly options: SecretTokenSourceOptions,
  ) {}

  async get(signal?: AbortSignal, options: { prefetch?: boolean } = {}): Promise<TokenFetch> {
    const now = this.options.now();
    if (this.cached && now < this.cached.token.renewAt) return { ok: true, token: this.cached.token };

    let fetched;
    try {
      fetched = await this.secret.get(signal, this.refused === undefined ? { refresh: true, prefetch: options.prefetch === true } : { replacing: this.refused });
    } catch {
      return { ok: false, error: { kind: 'deadline', reason: 'deadline reached while reading the token secret', status: 0 } };
    }
    if (!fetched.ok) return { ok: false, error: fromSecretError(fetched.error) };
    if (fetched.value === this.refused) {
      return {
        ok: false,
        error: { kind: 'auth', reason: 'Genesys refused the token in the token secret (401), and the secret holds no newer one: is its rotation running?', status: 401 },
      };
    }
    const parsed = parseStoredToken(fetched.value);
    if (!parsed.ok) return { ok: false, error: { kind: 'config', reason: parsed.reason, status: 0 } };
    const stored = parsed.token;
    if (stored.expiresAt <= now) {
      return {
        ok: false,
        error: { kind: 'auth', reason: `the token in the token secret expired at ${new Date(stored.expiresAt).toISOString()}: is its rotation running?`, status: 0 },
      };
    }
    const hosts = resolveHosts(stored.environment, this.options.overrides);
    if (!hosts.ok) return { ok: false, error: { kind: 'config', reason: hosts.reason.replace('credentials secret', 'token secret'), status: 0 } };
    const token: AccessToken = {
      value: stored.accessToken,
      apiBaseUrl: hosts.hosts.apiBaseUrl,
      // Close to expiry (rotation late or stopped) the token is still used, but the secret is
      // looked at again on the next call (the secret cache rate-limits those reads).
      renewAt: Math.max(now, stored.expiresAt - this.options.refreshMarginMs),
      expiresAt: stored.expiresAt,
    };
    this.cached = { token, secretString: fetched.value };
    this.refused = undefined;
    return { ok: true, token };
  }

  /** Genesys refused this token: drop it, and have the next `get` read the secret again at once. */
  invalidate(token: AccessToken): void {
    if (this.cached?.token !== token) return;
    this.refused = this.cached.secretString;
    this.cached = undefined;
  }
}
