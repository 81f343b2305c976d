/**
 * The benchmark's anchor: the same data action on Genesys's official JavaScript SDK
 * (purecloud-platform-client-v2), as a reasonable user writes it: the OAuth client from Secrets
 * Manager; `loginClientCredentialsGrant` once per container, again near expiry or after a 401;
 * one `patchConversationParticipantAttributes` per invocation with no retries (the SDK has none:
 * a 404 or a 429 is the answer) and the SDK's 16 s timeout; a flat status like ours.
 *
 * The SDK derives `https://login.<env>` and `https://api.<env>` from `setEnvironment`, which
 * cannot express the loopback emulator's `http://127.0.0.1:PORT`; its documented `setGateway`
 * replaces both, so the anchor hands it the `GENESYS_API_BASE_URL` our function reads too (unset
 * in production).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import platformClient from 'purecloud-platform-client-v2';

type Status = 'UPDATED' | 'INVALID_INPUT' | 'PARTICIPANT_NOT_FOUND' | 'REJECTED' | 'AUTH_FAILED' | 'RATE_LIMITED' | 'UPSTREAM_ERROR' | 'TIMEOUT' | 'CONFIG_ERROR';
export type AnchorResult = { status: Status; updated: boolean; attempts: number; httpStatus: number; elapsedMs: number; message: string };

const RESERVED = new Set(['conversationId', 'participantId', 'participantPurpose', 'orgId', 'integrationId', 'rawRequest', 'attributes']);

const apiClient = platformClient.ApiClient.instance;
apiClient.setPersistSettings(false);
const conversationsApi = new platformClient.ConversationsApi();
const secretsManager = new SecretsManagerClient({});

let tokenExpiresAt = 0;
let login: Promise<void> | undefined;

async function ensureLogin(): Promise<void> {
  if (Date.now() < tokenExpiresAt - 60_000) return;
  login ??= (async () => {
    const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: process.env.GENESYS_CREDENTIALS_SECRET_ID }));
    const { clientId, clientSecret, environment } = JSON.parse(secret.SecretString ?? '{}') as { clientId: string; clientSecret: string; environment?: string };
    apiClient.setEnvironment(environment ?? 'mypurecloud.com');
    const override = process.env.GENESYS_API_BASE_URL;
    if (override) {
      const url = new URL(override);
      apiClient.setGateway({ host: url.hostname, port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)), protocol: url.protocol.replace(':', '') });
    }
    const auth = await apiClient.loginClientCredentialsGrant(clientId, clientSecret);
    tokenExpiresAt = Number(auth.tokenExpiryTime ?? 0);
  })().finally(() => {
    login = undefined;
  });
  await login;
}

export const handler = async (event: Record<string, unknown>, _context?: { awsRequestId?: string }): Promise<AnchorResult> => {
  const started = Date.now();
  const result = (status: Status, httpStatus: number, message: string, attempts: number): AnchorResult => ({ status, updated: status === 'UPDATED', attempts, httpStatus, elapsedMs: Date.now() - started, message });

  const conversationId = typeof event?.conversationId === 'string' ? event.conversationId : '';
  const participantId = typeof event?.participantId === 'string' ? event.participantId : '';
  const source = (event?.attributes && typeof event.attributes === 'object' ? event.attributes : event) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(source ?? {})) {
    if (source === event && RESERVED.has(key)) continue;
    if (value !== null && value !== undefined) attributes[key] = String(value);
  }
  if (!conversationId || !participantId || Object.keys(attributes).length === 0) {
    return result('INVALID_INPUT', 0, 'conversationId, participantId and one attribute are required', 0);
  }

  try {
    await ensureLogin();
  } catch (error) {
    const status = statusOf(error);
    if (status === 0 && !isNetworkError(error)) return result('CONFIG_ERROR', 0, `secret or login failed: ${nameOf(error)}`, 0);
    return result(status === 429 ? 'RATE_LIMITED' : status >= 500 || status === 0 ? 'UPSTREAM_ERROR' : 'AUTH_FAILED', status, `login failed (${status})`, 0);
  }

  try {
    await conversationsApi.patchConversationParticipantAttributes(conversationId, participantId, { attributes });
    return result('UPDATED', 202, 'attributes set', 1);
  } catch (error) {
    const status = statusOf(error);
    if (status === 401) tokenExpiresAt = 0; // log in again next time
    if (status === 404) return result('PARTICIPANT_NOT_FOUND', status, 'participant not found', 1);
    if (status === 429) return result('RATE_LIMITED', status, 'rate limited', 1);
    if (status === 401 || status === 403) return result('AUTH_FAILED', status, 'not authorized', 1);
    if (status >= 500) return result('UPSTREAM_ERROR', status, 'Genesys error', 1);
    if (status === 0) {
      const code = (error as { code?: string })?.code;
      return result(code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'TIMEOUT' : 'UPSTREAM_ERROR', 0, `network: ${code ?? nameOf(error)}`, 1);
    }
    return result('REJECTED', status, `rejected (${status})`, 1);
  }
};

/** The SDK rejects with Genesys's ErrorBody (which has `status`) or, without a response, with the axios error. */
function statusOf(error: unknown): number {
  const e = error as { status?: unknown; response?: { status?: unknown } } | undefined;
  const status = Number(e?.status ?? e?.response?.status ?? 0);
  return Number.isFinite(status) ? status : 0;
}

function isNetworkError(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' || (error as { isAxiosError?: boolean })?.isAxiosError === true;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
