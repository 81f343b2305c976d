/**
 * Starts both emulators and builds a real Flagger against them: the real AWS SDK client (through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER), the real axios client, real sockets. Tests only choose the
 * configuration, the script of faults and, where they assert on logs, the log sink. The client,
 * its secret and the environment that points at the emulators come from ./emulator-env.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerDeps } from '../../lib/container';
import { createFlagger, type Flagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import type { GenesysEmulator, GenesysEmulatorOptions } from '../emulators/genesys';
import type { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { awsEnv, genesysEnv, startEmulators, useSecretsEmulator } from './emulator-env';

/** Small waits so suites stay fast; the production defaults are exercised in unit tests. */
export const FAST_ENV = {
  FLAG_BACKOFF_BASE_MS: '10',
  FLAG_BACKOFF_CAP_MS: '40',
  FLAG_POLL_BASE_MS: '10',
  FLAG_POLL_CAP_MS: '40',
  FLAG_DEADLINE_MS: '3000',
  FLAG_ATTEMPT_TIMEOUT_MS: '1000',
  FLAG_INIT_PREFETCH_MS: '1000',
  SECRET_MIN_REFRESH_INTERVAL_MS: '0',
};

/**
 * FAST_ENV with a test's own settings over it. The configuration refuses an attempt timeout above
 * the deadline, and a prefetch that leaves the first caller less than one attempt of it: when a
 * test shortens the deadline without setting those two, FAST_ENV's are cut to fit (the attempt
 * timeout to the deadline, the prefetch to what the deadline leaves after one attempt).
 */
export function fastEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { ...FAST_ENV };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  const deadline = Number(env.FLAG_DEADLINE_MS);
  if (!Number.isSafeInteger(deadline)) return env;
  if (extra.FLAG_ATTEMPT_TIMEOUT_MS === undefined)
    env.FLAG_ATTEMPT_TIMEOUT_MS = String(Math.min(Number(FAST_ENV.FLAG_ATTEMPT_TIMEOUT_MS), deadline));
  const attempt = Number(env.FLAG_ATTEMPT_TIMEOUT_MS);
  if (extra.FLAG_INIT_PREFETCH_MS === undefined && Number.isSafeInteger(attempt)) {
    env.FLAG_INIT_PREFETCH_MS = String(
      Math.max(0, Math.min(Number(FAST_ENV.FLAG_INIT_PREFETCH_MS), deadline - attempt)),
    );
  }
  return env;
}

export interface Harness {
  genesys: GenesysEmulator;
  secrets: SecretsManagerEmulator;
  /** The environment a deployer would set, pointing at the emulators. */
  env: Record<string, string>;
  /** Every line the flaggers built by `flagger()` logged. */
  logs: string[];
  flagger(extraEnv?: Record<string, string>, deps?: Partial<ContainerDeps>): Flagger;
  close(): Promise<void>;
}

export async function startHarness(options: GenesysEmulatorOptions = {}): Promise<Harness> {
  const { genesys, secrets } = await startEmulators({ genesys: options });
  useSecretsEmulator(secrets.url);
  const env: Record<string, string> = {
    ...genesysEnv(genesys.url),
    LOG_LEVEL: 'debug',
    ...FAST_ENV,
  };
  const logs: string[] = [];
  const record = (line: string): void => {
    logs.push(line);
    if (process.env.FLAGGER_LEAK_DIR)
      appendFileSync(path.join(process.env.FLAGGER_LEAK_DIR, `${process.pid}.log`), `${line}\n`);
  };
  return {
    genesys,
    secrets,
    env,
    logs,
    flagger: (extraEnv = {}, deps = {}) => {
      const recording = createLogger({ level: 'debug', sink: (line) => record(line) });
      const all = { logger: recording, ...deps };
      // The leak check only demands log lines from a run that built a flagger logging through
      // `record`; suites that pass their own logger (the property suites) leave none to scan.
      if (all.logger === recording && process.env.FLAGGER_LEAK_DIR)
        appendFileSync(path.join(process.env.FLAGGER_LEAK_DIR, `${process.pid}.flaggers`), '1\n');
      return createFlagger({ ...env, ...fastEnv(extraEnv) }, all);
    },
    close: async () => {
      // For the suite-wide leak check (test/support/leak-check.js): every token this emulator issued.
      if (process.env.FLAGGER_LEAK_DIR) {
        appendFileSync(
          path.join(process.env.FLAGGER_LEAK_DIR, `${process.pid}.secrets`),
          genesys
            .issuedTokens()
            .map((t) => `${t}\n`)
            .join(''),
        );
      }
      await Promise.all([genesys.close(), secrets.close()]);
    },
  };
}

export function newConversation(
  genesys: GenesysEmulator,
  participant: { resolveAfterMs?: number; purpose?: string } = {},
) {
  const conversationId = randomUUID();
  const participantId = randomUUID();
  genesys.addConversation(conversationId, [
    { id: randomUUID(), purpose: 'ivr' },
    {
      id: participantId,
      purpose: participant.purpose ?? 'customer',
      ...(participant.resolveAfterMs === undefined ? {} : { resolveAfterMs: participant.resolveAfterMs }),
    },
  ]);
  return { conversationId, participantId };
}

export function invocation(remainingMs = 10_000) {
  return { requestId: randomUUID(), remainingMs };
}

/**
 * The environment of a bundle run in a process of its own against this harness's emulators: the
 * deployer's settings plus the standard AWS variables (a child process does not see this one's).
 */
export function bundleEnv(h: Harness, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...h.env,
    ...awsEnv(h.secrets.url),
    LOG_LEVEL: 'info',
    ...extra,
  };
}
