/**
 * Composition of the token rotation (functions/rotate-token.ts), once per container: the credentials
 * secret (read fresh for every new token), Secrets Manager for versions and labels, the HTTP client.
 *
 * It rotates one secret only, the one GENESYS_TOKEN_SECRET_ID names (the stack sets it to the token
 * secret's ARN, the id Secrets Manager puts in the event): an event for any other secret is refused
 * before anything is read or written, whoever managed to invoke the function with it.
 */
import { err } from '../result';
import { loadConfig, overridesInForce, type Env } from '../config';
import { credentialsFromSecret } from '../genesys/credentials';
import { axiosHttpClient, createGenesysAxios, type HttpClient } from '../genesys/api-client';
import { createLogger, errorFields, type Logger } from '../log';
import { parseRotationEvent, rotate, type RotationOutcome } from './rotation-steps';
import { awsSecretVersions, type SecretVersions } from '../aws/secret-versions';
import { awsSecretSource, type SecretSource } from '../aws/secret-source';
import { CachedSecret } from '../aws/secret-cache';

export interface Rotator {
  rotate(event: unknown): Promise<RotationOutcome>;
}

export interface RotatorDeps {
  versions: SecretVersions;
  secretSource: SecretSource;
  http: HttpClient;
  now: () => number;
  logger: Logger;
}

export function createRotator(env: Env, overrides: Partial<RotatorDeps> = {}): Rotator {
  const parsed = loadConfig(env);
  const logger =
    overrides.logger ?? createLogger({ level: (parsed.ok ? parsed.value : parsed.error.fallback).logLevel });
  if (!parsed.ok || !parsed.value.credentialsSecretId || !parsed.value.tokenSecretId) {
    const reason = !parsed.ok
      ? parsed.error.reason
      : !parsed.value.credentialsSecretId
        ? 'GENESYS_CREDENTIALS_SECRET_ID is not set: the rotation needs the OAuth client'
        : 'GENESYS_TOKEN_SECRET_ID is not set: the rotation rotates only the token secret it names';
    return {
      rotate: async () => {
        logger.error('token rotation failed', { reason });
        return err(reason);
      },
    };
  }
  const config = parsed.value;
  const { tokenSecretId } = config;
  // The rotation sends the client secret to the login host: an override of it is said at init.
  const hosts = overridesInForce(config);
  if (Object.keys(hosts).length > 0) logger.warn('Genesys host override in force', hosts);
  const now = overrides.now ?? Date.now;
  const secretSource = overrides.secretSource ?? awsSecretSource({ requestTimeoutMs: config.attemptTimeoutMs });
  const credentials = credentialsFromSecret(
    // Every new token is minted with the credentials as they are now (refresh interval 0).
    new CachedSecret(secretSource, config.credentialsSecretId, {
      maxAgeMs: config.secretMaxAgeMs,
      minRefreshIntervalMs: 0,
      now,
    }),
    config,
  );
  const deps = {
    versions: overrides.versions ?? awsSecretVersions({ requestTimeoutMs: config.attemptTimeoutMs }),
    credentials,
    http:
      overrides.http ?? axiosHttpClient(createGenesysAxios(config.genesysProxyUrl, config, config.attemptTimeoutMs)),
    now,
    attemptTimeoutMs: config.attemptTimeoutMs,
    refreshMarginMs: config.tokenRefreshMarginMs,
  };
  return {
    rotate: async (event) => {
      const parsedEvent = parseRotationEvent(event);
      if (!parsedEvent) {
        logger.error('token rotation failed', { reason: 'not a Secrets Manager rotation event' });
        return err('not a Secrets Manager rotation event');
      }
      const fields = {
        secretId: parsedEvent.SecretId,
        version: parsedEvent.ClientRequestToken,
        step: parsedEvent.Step,
      };
      if (parsedEvent.SecretId !== tokenSecretId) {
        const reason =
          'refused: the event names another secret than the token secret this function rotates ' +
          '(GENESYS_TOKEN_SECRET_ID); nothing was read or written';
        logger.error('token rotation step failed', { ...fields, reason });
        return err(reason);
      }
      try {
        const outcome = await rotate(parsedEvent, deps);
        if (outcome.ok) logger.info('token rotation step done', { ...fields, detail: outcome.value });
        else logger.error('token rotation step failed', { ...fields, reason: outcome.error });
        return outcome;
      } catch (error) {
        // Every failure the rotation expects is a Result (a failed Secrets Manager call included):
        // anything thrown is a bug, and is named as one, without its message.
        logger.error('unexpected error', { ...fields, error: errorFields(error) });
        const reason = 'unexpected error in the rotation (a bug): its name and stack frames are in the log';
        logger.error('token rotation step failed', { ...fields, reason });
        return err(reason);
      }
    },
  };
}
