/**
 * OAuth client-credentials tokens, cached per container until shortly before they expire.
 * Concurrent invocations share one in-flight token request, abandoned once none of them waits for
 * it any more; a token the API refused is dropped with `invalidate`. When the login host refuses
 * the client, the secret is re-read once (it may have been rotated) before the refusal is reported.
 */
import { AbortedError, SharedWork } from '../deadline';
import { parseJsonObject } from '../json';
import { err, ok, type Result } from '../result';
import type { SecretError } from '../aws/secret-source';
import { type Sensitive, sensitive } from '../sensitive';
import type { CredentialsSource, GenesysCredentials } from './credentials';
import { parseRetryAfter, proxyRefusal, type HttpClient } from './api-client';

export interface AccessToken {
  value: Sensitive;
  apiBaseUrl: string;
  /** Epoch ms after which the cached token is not handed out any more. */
  renewAt: number;
  /** Epoch ms at which Genesys stops accepting it. */
  expiresAt: number;
  /**
   * The very token Genesys just refused (401), handed out once more because no newer one exists:
   * sent again after a short wait, to tell a passing refusal from a revoked token (token mode).
   */
  afterRefusal?: true;
}

/**
 * `config`: the secret is unusable. `auth`: the login host refused the client.
 * `throttled` / `upstream`: transient, worth retrying within the deadline, not before `retryAfterMs`.
 * `deadline`: the caller's own deadline came while waiting.
 */
export type TokenError = {
  kind: 'config' | 'auth' | 'throttled' | 'upstream' | 'deadline';
  reason: string;
  status: number;
  retryAfterMs?: number | undefined;
  /** `auth`: the login host's RFC 6749 `error` code (e.g. `invalid_client`), when it sent a well-formed one. */
  oauthError?: string;
};

export type TokenFetch = Result<AccessToken, TokenError>;

/** Where the retry loop gets its bearer token: minted here, or read from the token secret. */
export interface TokenSource {
  /** `prefetch`: a read ahead of traffic (Lambda init), whose failures are not remembered. */
  get(signal?: AbortSignal, options?: { prefetch?: boolean }): Promise<TokenFetch>;
  /** Genesys refused this token (401). */
  invalidate(token: AccessToken): void;
  /** Genesys answered a request made with this token with anything but 401: it is good. */
  accepted(token: AccessToken): void;
  /** Why a flag ends AUTH_FAILED when Genesys refuses the token it got after a first 401. */
  readonly refusedAgain: string;
}

export interface GrantOptions {
  http: HttpClient;
  now: () => number;
  attemptTimeoutMs: number;
  refreshMarginMs: number;
  /** Abandons the grant's request when it aborts (nobody waits for the token any more). */
  signal?: AbortSignal;
}

export interface TokenProviderOptions extends GrantOptions {
  credentials: CredentialsSource;
}

export class TokenProvider implements TokenSource {
  private cached: AccessToken | undefined;
  private readonly minting = new SharedWork<TokenFetch>();
  readonly refusedAgain = 'Genesys refused a fresh token too (401)';

  constructor(private readonly options: TokenProviderOptions) {}

  async get(signal?: AbortSignal, options: { prefetch?: boolean } = {}): Promise<TokenFetch> {
    if (this.cached && this.options.now() < this.cached.renewAt) return ok(this.cached);
    // One mint for every concurrent caller; it ends when the last of them stops waiting (their
    // deadlines, or the end of a prefetch, which Lambda would otherwise freeze mid-request).
    const prefetch = options.prefetch === true;
    try {
      return await this.minting.join((work) => this.mint(work, prefetch), signal);
    } catch (error) {
      // Only the caller's own deadline is expected here; anything else is a bug, for the flag's error path to log.
      if (error instanceof AbortedError)
        return err({ kind: 'deadline', reason: 'deadline reached while waiting for a token', status: 0 });
      throw error;
    }
  }

  /** Forget `token` if it is still the cached one (another invocation may have replaced it already). */
  invalidate(token: AccessToken): void {
    if (this.cached === token) this.cached = undefined;
  }

  /** A minted token is fresh by construction: nothing to learn from its acceptance. */
  accepted(): void {}

  /** `signal`: aborts once nobody waits for this mint; every request of it is bound to it. */
  private async mint(signal: AbortSignal, prefetch: boolean): Promise<TokenFetch> {
    const first = await this.options.credentials(signal, prefetch ? { prefetch: true } : {});
    if (!first.ok) return err(fromSecretError(first.error));
    const grant = { ...this.options, signal };
    let result = await requestClientCredentialsToken(first.value, grant);
    if (!result.ok && result.error.kind === 'auth') {
      // The client was refused: the secret may have been rotated since it was cached.
      const again = await this.options.credentials(
        signal,
        prefetch ? { refresh: true, prefetch: true } : { refresh: true },
      );
      if (again.ok && differs(again.value, first.value))
        result = await requestClientCredentialsToken(again.value, grant);
    }
    if (result.ok) this.cached = result.value;
    return result;
  }
}

/** One client-credentials grant at the login host (no cache): `POST /oauth/token` with Basic auth. */
export async function requestClientCredentialsToken(
  credentials: GenesysCredentials,
  options: GrantOptions,
): Promise<TokenFetch> {
  const reply = await options.http({
    method: 'POST',
    url: `${credentials.hosts.loginBaseUrl}/oauth/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    authorization: basicAuthorization(credentials),
    body: 'grant_type=client_credentials',
    timeoutMs: options.attemptTimeoutMs,
    signal: options.signal,
  });
  const fail = (kind: TokenError['kind'], reason: string, status: number, retryAfterMs?: number): TokenFetch =>
    err({ kind, reason, status, retryAfterMs });
  if (reply.kind === 'network') return fail('upstream', `token request failed: ${reply.reason}`, 0);
  // The deployer's proxy refuses: no retry can change that, and the login host never saw the request.
  if (reply.kind === 'proxy-refused') return fail('config', proxyRefusal(reply.proxyStatus), 0);
  const { status } = reply;
  if (status === 429) {
    return fail(
      'throttled',
      'token request rate-limited',
      status,
      parseRetryAfter(reply.headers['retry-after'], options.now()),
    );
  }
  if (status === 408 || status >= 500) return fail('upstream', `token endpoint answered ${status}`, status);
  if (status >= 400) {
    const code = oauthError(reply.body);
    return err({
      kind: 'auth',
      reason: `the login host refused the OAuth client (${status}${code ? ` ${code}` : ''})`,
      status,
      ...(code ? { oauthError: code } : {}),
    });
  }
  if (status < 200 || status >= 300) return fail('upstream', `token endpoint answered ${status}`, status);

  const grant = parseGrant(reply.body);
  if (!grant) return fail('upstream', 'token reply had no usable access_token', status);
  const lifetimeMs = grant.expiresInSeconds * 1000;
  // Renew early, but never so early that a short-lived token is renewed on every call.
  const margin = Math.min(options.refreshMarginMs, lifetimeMs / 2);
  const now = options.now();
  return ok({
    value: grant.accessToken,
    apiBaseUrl: credentials.hosts.apiBaseUrl,
    renewAt: now + lifetimeMs - margin,
    expiresAt: now + lifetimeMs,
  });
}

/** `Basic base64(clientId:clientSecret)`, as Sensitive as the secret it encodes. */
export function basicAuthorization(credentials: Pick<GenesysCredentials, 'clientId' | 'clientSecret'>): Sensitive {
  const pair = `${credentials.clientId}:${credentials.clientSecret.reveal()}`;
  return sensitive(`Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
}

/** A token as the Authorization header that carries it. */
export function bearerAuthorization(token: Sensitive): Sensitive {
  return sensitive(`Bearer ${token.reveal()}`);
}

/** A secret that cannot be read, as a token error; `retryAfterMs` says when the cache reads it again. */
export function fromSecretError(error: SecretError): TokenError {
  return {
    kind: error.kind === 'config' ? 'config' : 'upstream',
    reason: error.reason,
    status: 0,
    retryAfterMs: error.retryAfterMs,
  };
}

function differs(a: GenesysCredentials, b: GenesysCredentials): boolean {
  return (
    a.clientId !== b.clientId ||
    !a.clientSecret.equals(b.clientSecret) ||
    a.hosts.apiBaseUrl !== b.hosts.apiBaseUrl ||
    a.hosts.loginBaseUrl !== b.hosts.loginBaseUrl
  );
}

/** The RFC 6749 `error` code (e.g. `invalid_client`), which is safe to show; never the description. */
function oauthError(body: string): string | undefined {
  const error = parseJsonObject(body)?.error;
  return typeof error === 'string' && /^[a-z_]{1,50}$/.test(error) ? error : undefined;
}

/** Genesys tokens live 24 h by default; a reply without a usable lifetime gets a short one. */
const FALLBACK_LIFETIME_SECONDS = 300;
/** The longest token lifetime an OAuth client can be given in Genesys (48 h); a reply claiming more is cut to it. */
const MAX_LIFETIME_SECONDS = 172_800;
/** RFC 6750 `b64token`: what may follow "Bearer " in a header. Anything else is not a token. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 4096;

/** The token and its lifetime from the login host's reply, which is untrusted like any other answer. */
export function parseGrant(body: string): { accessToken: Sensitive; expiresInSeconds: number } | undefined {
  const record = parseJsonObject(body);
  if (!record) return undefined;
  const accessToken = record.access_token;
  if (typeof accessToken !== 'string' || accessToken.length > MAX_TOKEN_LENGTH || !BEARER_TOKEN.test(accessToken))
    return undefined;
  const raw = record.expires_in;
  const expiresIn =
    typeof raw === 'number' || (typeof raw === 'string' && /^\d{1,12}$/.test(raw)) ? Number(raw) : Number.NaN;
  const expiresInSeconds =
    Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(expiresIn, MAX_LIFETIME_SECONDS) : FALLBACK_LIFETIME_SECONDS;
  return { accessToken: sensitive(accessToken), expiresInSeconds };
}

/**
 * One cheap authenticated call (`GET /api/v2/tokens/me`) that proves a token works: what the token
 * rotation's testSecret step runs before the new token becomes current.
 */
export async function verifyToken(
  token: { value: Sensitive; apiBaseUrl: string },
  options: Pick<GrantOptions, 'http' | 'attemptTimeoutMs'>,
): Promise<Result<undefined, { reason: string /** 0: no answer (network) */; status: number }>> {
  const reply = await options.http({
    method: 'GET',
    url: `${token.apiBaseUrl}/api/v2/tokens/me`,
    headers: { accept: 'application/json' },
    authorization: bearerAuthorization(token.value),
    timeoutMs: options.attemptTimeoutMs,
  });
  if (reply.kind === 'network') return err({ reason: `GET /api/v2/tokens/me failed: ${reply.reason}`, status: 0 });
  if (reply.kind === 'proxy-refused') return err({ reason: proxyRefusal(reply.proxyStatus), status: 0 });
  if (reply.status < 200 || reply.status >= 300)
    return err({ reason: `GET /api/v2/tokens/me answered ${reply.status}`, status: reply.status });
  return ok(undefined);
}
