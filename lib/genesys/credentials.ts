/**
 * The Genesys OAuth client as stored in Secrets Manager:
 * `{"clientId": "...", "clientSecret": "...", "environment": "mypurecloud.com"}`,
 * resolved to the hosts it may be sent to.
 */
import { parseJsonObject } from '../json';
import { err, ok, type Result } from '../result';
import { type Sensitive, sensitive } from '../sensitive';
import type { CachedSecret, SecretRead } from '../aws/secret-cache';
import type { SecretError } from '../aws/secret-source';
import { resolveHosts, type GenesysHosts } from './environments';

export interface GenesysCredentials {
  clientId: string;
  clientSecret: Sensitive;
  /** As written in the secret (a domain or region name); "" when both hosts are overridden. */
  environment: string;
  hosts: GenesysHosts;
}

export type CredentialsFetch = Result<GenesysCredentials, SecretError>;

/** Reads the credentials, from the cache unless `read.refresh` asks for a (rate-limited) re-read. */
export type CredentialsSource = (
  signal: AbortSignal | undefined,
  read: Pick<SecretRead, 'refresh' | 'prefetch'>,
) => Promise<CredentialsFetch>;

export function credentialsFromSecret(
  secret: CachedSecret,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
): CredentialsSource {
  return async (signal, read) => {
    const fetched = await secret.get(signal, read);
    if (!fetched.ok) return fetched;
    return parseCredentials(fetched.value, overrides);
  };
}

/** The secret's three fields as written, before the environment is resolved to hosts. */
export interface CredentialFields {
  clientId: string;
  clientSecret: Sensitive;
  /** Trimmed; "" when absent, which only both host overrides make usable. */
  environment: string;
}

export type CredentialFieldsParse = Result<CredentialFields, string>;

/**
 * Whether the secret is a JSON object holding the fields it must hold; the environment's value is
 * resolveHosts's business. Messages name the missing field, never the secret's content.
 */
export function readCredentialFields(
  secretString: Sensitive,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
): CredentialFieldsParse {
  const record = parseJsonObject(secretString.reveal());
  if (!record)
    return err('the credentials secret is not a JSON object: expected {"clientId", "clientSecret", "environment"}');
  const missing = ['clientId', 'clientSecret', 'environment'].filter(
    (key) => typeof record[key] !== 'string' || (record[key] as string).trim() === '',
  );
  // With both hosts overridden the environment is not needed to find them.
  const needed = overrides.apiBaseUrl && overrides.loginBaseUrl ? missing.filter((k) => k !== 'environment') : missing;
  if (needed.length > 0) return err(`the credentials secret lacks ${needed.join(', ')}`);
  return ok({
    clientId: (record.clientId as string).trim(),
    clientSecret: sensitive(record.clientSecret as string),
    environment: typeof record.environment === 'string' ? record.environment.trim() : '',
  });
}

/** The credentials and the hosts they may be sent to. Messages name the missing field, never the secret's content. */
export function parseCredentials(
  secretString: Sensitive,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
): CredentialsFetch {
  const read = readCredentialFields(secretString, overrides);
  if (!read.ok) return err({ kind: 'config', reason: read.error });
  const hosts = resolveHosts(read.value.environment, overrides);
  if (!hosts.ok) return err({ kind: 'config', reason: hosts.error });
  return ok({ ...read.value, hosts: hosts.value });
}
