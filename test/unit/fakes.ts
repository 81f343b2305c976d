/**
 * Fakes for the dependencies lib/ takes as arguments (clock, secret source, HTTP, logger), shared by
 * the unit tests of the composition (container, flagger) and the doors' rules (http/, queue/). No
 * socket, no module mock: each fake records what it was asked, so a test reads decisions, not time.
 */
import type { SecretFetch, SecretSource } from '../../lib/aws/secret-source';
import type { ContainerDeps } from '../../lib/container';
import type { HttpClient, HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import { createLogger, type Logger } from '../../lib/log';
import { sensitive } from '../../lib/sensitive';

/** A logger that keeps every line, parsed, for assertions. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  return {
    logger: createLogger({ level: 'debug', sink: (line) => raw.push(line) }),
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => raw.join('\n'),
  };
}

/** A virtual clock: `sleep` moves it instead of waiting. */
export function virtualClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

export interface SecretRead {
  secretId: string;
  signal: AbortSignal | undefined;
}

/**
 * A Secrets Manager stand-in: each secret id answers its current value (or a scripted failure),
 * and every read is recorded. `answer` can be replaced to script slow, hanging or throwing reads.
 */
export function fakeSecrets(values: Record<string, string>) {
  const reads: SecretRead[] = [];
  const source = {
    values: { ...values },
    reads,
    readsOf: (secretId: string) => reads.filter((r) => r.secretId === secretId).length,
    answer: async (secretId: string, _signal: AbortSignal | undefined): Promise<SecretFetch> => {
      const value = source.values[secretId];
      return value === undefined
        ? {
            ok: false,
            error: { kind: 'config', reason: 'Secrets Manager GetSecretValue failed: ResourceNotFoundException' },
          }
        : { ok: true, value: sensitive(value) };
    },
  };
  const secretSource: SecretSource = {
    fetch: (secretId, signal) => {
      reads.push({ secretId, signal });
      return source.answer(secretId, signal);
    },
  };
  return Object.assign(source, { secretSource });
}

export const CLIENT_ID = 'unit-client-id';
/** Never to appear in a result, a response or a log line. */
export const CLIENT_SECRET = 'unit-client-secret-sentinel-5e2a';
export const ACCESS_TOKEN = 'unit-access-token-sentinel-93fd';
export const CREDENTIALS_SECRET_ID = 'genesys/credentials';
export const CREDENTIALS = JSON.stringify({
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  environment: 'mypurecloud.ie',
});

/**
 * Genesys as HTTP answers: the token endpoint grants ACCESS_TOKEN, a PATCH of attributes answers
 * 202 (or what `patch` says). Every request is recorded; `before` runs first (to move a clock).
 */
export function fakeGenesys(options: { patch?: (request: HttpRequest) => HttpReply; before?: () => void } = {}) {
  const requests: HttpRequest[] = [];
  const respond = (status: number, body = ''): HttpReply => ({
    kind: 'response',
    status,
    headers: {},
    body,
    truncated: false,
  });
  const http: HttpClient = async (request) => {
    requests.push(request);
    options.before?.();
    if (request.url.endsWith('/oauth/token'))
      return respond(200, JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: 86_400 }));
    if (request.method === 'PATCH') return options.patch ? options.patch(request) : respond(202);
    return respond(404, '{"code":"not.found"}');
  };
  return { http, requests, respond };
}

export const CONVERSATION_ID = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';
export const PARTICIPANT_ID = 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36';
/** An attribute value that must never reach a log line. */
export const ATTRIBUTE_SENTINEL = 'attribute-value-sentinel-61c0';

/**
 * The container's dependencies, all fakes: the secrets `values`, Genesys as `fakeGenesys`, a virtual
 * clock from `start` (its sleep too), randomness pinned at `random`, a capturing logger.
 */
export function fakeContainerDeps(values: Record<string, string>, options: { random?: number; start?: number } = {}) {
  const clock = virtualClock(options.start);
  const secrets = fakeSecrets(values);
  const genesys = fakeGenesys();
  const log = captureLogger();
  const random = options.random ?? 0.5;
  const deps = {
    secretSource: secrets.secretSource,
    http: genesys.http,
    now: clock.now,
    sleep: clock.sleep,
    random: () => random,
    logger: log.logger,
  } satisfies Partial<ContainerDeps>;
  return { clock, secrets, genesys, log, deps };
}
