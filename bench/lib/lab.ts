/**
 * The bench's loopback world: the project's Genesys Cloud and Secrets Manager emulators (from
 * test/emulators, unchanged), a forwarding proxy for Secrets Manager round trips when latency is
 * injected, and the environment a deployer would give both functions.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GenesysEmulator, type RecordedRequest } from '../../test/emulators/genesys';
import { SecretsManagerEmulator } from '../../test/emulators/secrets-manager';
import { ForwardingProxy } from './proxy';

export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-client-secret-7c1d';
export const SECRET_NAME = 'genesys/bench/credentials';

export interface Lab {
  genesys: GenesysEmulator;
  secrets: SecretsManagerEmulator;
  /** What the functions use as Secrets Manager endpoint (the emulator, or a delaying proxy in front). */
  secretsUrl: string;
  /** A scratch HOME for containers (the SDK looks for ~/.genesyscloudjavascript/config). */
  home: string;
  /** The environment of a container; `genesysUrl` overrides the Genesys base URLs (e.g. a rate-limiting proxy). */
  env(extra?: Record<string, string>, genesysUrl?: string): Record<string, string>;
  /** Registers a conversation whose customer participant resolves `resolveAfterMs` after now. */
  conversation(resolveAfterMs?: number): { conversationId: string; participantId: string; createdAt: number };
  /** Requests (Genesys + Secrets Manager) received so far. */
  requestCount(): number;
  /** Subscribes to answered Genesys requests; returns the unsubscribe. */
  watch(listener: (r: RecordedRequest, at: number) => void): () => void;
  close(): Promise<void>;
}

export async function startLab(options: { latencyMs: number }): Promise<Lab> {
  const genesys = await GenesysEmulator.start({ clients: { [CLIENT_ID]: CLIENT_SECRET }, latencyMs: options.latencyMs });
  const secrets = await SecretsManagerEmulator.start();
  secrets.put(SECRET_NAME, JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, environment: 'mypurecloud.com' }));
  const secretsProxy = options.latencyMs > 0 ? await ForwardingProxy.start(secrets.url, { delayMs: options.latencyMs }) : undefined;
  const secretsUrl = secretsProxy?.url ?? secrets.url;
  const home = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-home-'));

  const listeners = new Set<(r: RecordedRequest, at: number) => void>();
  genesys.onRequest = (r) => {
    const at = Date.now();
    for (const listener of listeners) listener(r, at);
  };

  return {
    genesys,
    secrets,
    secretsUrl,
    home,
    env(extra = {}, genesysUrl = genesys.url) {
      return {
        PATH: process.env.PATH ?? '',
        HOME: home,
        GENESYS_CREDENTIALS_SECRET_ID: SECRET_NAME,
        GENESYS_API_BASE_URL: genesysUrl,
        GENESYS_LOGIN_BASE_URL: genesysUrl,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-only',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_NAME: 'bench-data-action',
        // serverless.yml's settings for the data action
        FLAG_DEADLINE_MS: '8000',
        LOG_LEVEL: 'info',
        ...extra,
      };
    },
    conversation(resolveAfterMs) {
      const conversationId = randomUUID();
      const participantId = randomUUID();
      const createdAt = Date.now();
      genesys.addConversation(conversationId, [
        { id: randomUUID(), purpose: 'ivr' },
        { id: participantId, purpose: 'customer', ...(resolveAfterMs ? { resolveAfterMs } : {}) },
      ]);
      return { conversationId, participantId, createdAt };
    },
    requestCount: () => genesys.arrivals.length + secrets.requests.length,
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      genesys.onRequest = undefined;
      await Promise.all([genesys.close(), secrets.close(), secretsProxy?.close()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The event a flow sends: the flat form, as an Architect data action does. */
export function flagEvent(ids: { conversationId: string; participantId: string }): Record<string, unknown> {
  return { conversationId: ids.conversationId, participantId: ids.participantId, compliance_checked: true, verification_method: 'otp' };
}
