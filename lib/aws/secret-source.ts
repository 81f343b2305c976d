/**
 * Where a secret string comes from: `GetSecretValue`, with every failure turned into a typed value
 * that says whether a retry can help.
 */
import { isNativeError } from 'node:util/types';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { err, ok, type Result } from '../result';
import { type Sensitive, sensitive } from '../sensitive';
import { createSecretsManagerClient } from './secrets-manager-client';

/**
 * `config`: the secret cannot be used as configured (missing, access denied, not decryptable).
 * `unavailable`: Secrets Manager could not answer now (throttling, 5xx, network); worth retrying.
 * `retryAfterMs`: the cache will not read the secret again before this much time has passed.
 */
export type SecretError = {
  kind: 'config' | 'unavailable';
  reason: string;
  retryAfterMs?: number | undefined;
  /** The AWS error name the reason quotes (e.g. `AccessDeniedException`), when the SDK threw one. */
  errorName?: string;
};
/** The secret's string, carried as Sensitive: it holds credentials or a token. */
export type SecretFetch = Result<Sensitive, SecretError>;

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
 * Secrets Manager through the AWS SDK v3, one try per read. The client is built on the first read,
 * not at load: a container that never reads a secret never builds one (the SDK's code is loaded
 * with the bundle either way).
 */
export function awsSecretSource(options: { requestTimeoutMs: number }): SecretSource {
  let client: SecretsManagerClient | undefined;
  return {
    async fetch(secretId, signal) {
      client ??= createSecretsManagerClient({ requestTimeoutMs: options.requestTimeoutMs, maxAttempts: 1 });
      try {
        const reply = await client.send(
          new GetSecretValueCommand({ SecretId: secretId }),
          signal ? { abortSignal: signal } : {},
        );
        if (typeof reply.SecretString !== 'string')
          return err({ kind: 'config', reason: 'the secret has no SecretString (binary secrets are not supported)' });
        return ok(sensitive(reply.SecretString));
      } catch (error) {
        const name = awsErrorName(error);
        const kind = CONFIG_ERRORS.has(name) ? 'config' : 'unavailable';
        return err({ kind, reason: `Secrets Manager GetSecretValue failed: ${name}`, errorName: name });
      }
    },
  };
}

/** What an AWS error name may look like; anything else in an error's `name` is not repeated. */
const AWS_ERROR_NAME = /^[A-Za-z][A-Za-z0-9.:_-]{0,63}$/;

/**
 * The name of an error the AWS SDK threw, fit to quote in a reason or a log line. The SDK names a
 * service error after the service's `__type`, an upstream string (markup or 5,000 characters
 * included), so it is kept only if it looks like an AWS error name; otherwise, and for anything
 * that is not an Error, `UnknownError`. Never the message: it may quote the request.
 */
export function awsErrorName(error: unknown): string {
  return isError(error) && AWS_ERROR_NAME.test(error.name) ? error.name : 'UnknownError';
}

/** An Error, including one Node's own code made (a URL parser's TypeError), whatever realm made it. */
export function isError(error: unknown): error is Error {
  return error instanceof Error || isNativeError(error);
}
