/**
 * Checks `Authorization: Bearer <token>` against a token kept in Secrets Manager. The comparison
 * is constant-time (over SHA-256 digests, so lengths leak nothing either). A token that does not
 * match makes the secret be re-read, at most once per refresh interval: rotation works without a
 * redeploy, and a flood of bad requests cannot turn into a flood of Secrets Manager calls.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AbortedError } from '../deadline';
import type { CachedSecret } from '../aws/secret-cache';
import type { SecretFetch } from '../aws/secret-source';
import { type Sensitive, sensitive } from '../sensitive';

export type BearerVerdict = 'ok' | 'denied' | 'unavailable';

/** A shorter configured token is treated as a misconfiguration, never as something to match. */
export const MIN_TOKEN_LENGTH = 16;
/** A token that does not match triggers at most one re-read of its secret per minute. */
export const TOKEN_REFRESH_INTERVAL_MS = 60_000;

export class BearerCheck {
  constructor(private readonly secret: CachedSecret) {}

  /** Reads the token's secret ahead of traffic; a failure is not remembered (see SecretRead.prefetch). */
  prefetch(signal: AbortSignal): Promise<SecretFetch> {
    return this.secret.get(signal, { prefetch: true });
  }

  /** `signal`: the invocation's deadline; a secret read that outlasts it is 'unavailable'. */
  async verify(authorization: string | undefined, signal?: AbortSignal): Promise<BearerVerdict> {
    const token = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    if (!token) return 'denied';
    try {
      return await this.check(sensitive(token), signal);
    } catch (error) {
      if (error instanceof AbortedError) return 'unavailable';
      throw error;
    }
  }

  private async check(presented: Sensitive, signal: AbortSignal | undefined): Promise<BearerVerdict> {
    const current = await this.secret.get(signal);
    const expected = current.ok ? configuredToken(current.value) : undefined;
    if (expected === undefined) return 'unavailable';
    if (sameSecret(presented, expected)) return 'ok';
    // Maybe the token was rotated since it was cached (the re-read is rate-limited by the cache).
    const reread = await this.secret.get(signal, { refresh: true });
    if (!reread.ok || (current.ok && reread.value.equals(current.value))) return 'denied';
    const rotated = configuredToken(reread.value);
    return rotated !== undefined && sameSecret(presented, rotated) ? 'ok' : 'denied';
  }
}

/** The token the secret holds, trimmed; undefined when it is too short to be one. */
function configuredToken(secretString: Sensitive): Sensitive | undefined {
  const token = secretString.reveal().trim();
  return token.length >= MIN_TOKEN_LENGTH ? sensitive(token) : undefined;
}

/** Constant-time equality, over SHA-256 digests so that neither content nor length leaks through timing. */
export function sameSecret(a: Sensitive, b: Sensitive): boolean {
  const digest = (s: Sensitive): Buffer => createHash('sha256').update(s.reveal(), 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
