/**
 * The anchor: our data action on Genesys's official SDK as a reasonable user writes it: the OAuth client from Secrets
 * Manager, a login per container (again near expiry or after a 401), one PATCH per invocation, no retries (the SDK
 * has none). `setGateway` takes the `GENESYS_API_BASE_URL` ours reads too (unset in production) for the emulator.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import platformClient from 'purecloud-platform-client-v2';
import type { FlagResult, FlagStatus as Status } from '../../lib/core/flag-result';

type AnchorResult = Pick<FlagResult, 'status' | 'updated' | 'attempts' | 'httpStatus' | 'elapsedMs' | 'message'>;

const RESERVED = new Set([
  'conversationId',
  'participantId',
  'participantPurpose',
  'orgId',
  'integrationId',
  'rawRequest',
  'attributes',
]);

const apiClient = platformClient.ApiClient.instance;
apiClient.setPersistSettings(false);
const conversationsApi = new platformClient.ConversationsApi();
const secretsManager = new SecretsManagerClient({});

let tokenExpiresAt = 0;
let login: Promise<void> | undefined;

async function ensureLogin(): Promise<void> {
  if (Date.now() < tokenExpiresAt - 60_000) return;
  login ??= (async () => {
    const secretId = process.env.GENESYS_CREDENTIALS_SECRET_ID;
    const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    type Credentials = { clientId: string; clientSecret: string; environment?: string };
    const { clientId, clientSecret, environment } = JSON.parse(secret.SecretString ?? '{}') as Credentials;
    apiClient.setEnvironment(environment ?? 'mypurecloud.com');
    const override = process.env.GENESYS_API_BASE_URL;
    if (override) {
      const url = new URL(override);
      const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
      apiClient.setGateway({ host: url.hostname, port, protocol: url.protocol.replace(':', '') });
    }
    const auth = await apiClient.loginClientCredentialsGrant(clientId, clientSecret);
    tokenExpiresAt = Number(auth.tokenExpiryTime ?? 0);
  })().finally(() => {
    login = undefined;
  });
  await login;
}

export const handler = async (event: Record<string, unknown>): Promise<AnchorResult> => {
  const started = Date.now();
  const result = (status: Status, httpStatus: number, message: string, attempts = 1): AnchorResult => ({
    status,
    updated: status === 'UPDATED',
    attempts,
    httpStatus,
    elapsedMs: Date.now() - started,
    message,
  });

  const conversationId = typeof event?.conversationId === 'string' ? event.conversationId : '';
  const participantId = typeof event?.participantId === 'string' ? event.participantId : '';
  const nested = event?.attributes && typeof event.attributes === 'object';
  const source = (nested ? event.attributes : event) as Record<string, unknown>;
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
    const [status, network] = [statusOf(error), isNetworkError(error as NetworkError)];
    if (status === 0 && !network) return result('CONFIG_ERROR', 0, `secret or login failed: ${nameOf(error)}`, 0);
    const failed = status === 429 ? 'RATE_LIMITED' : status >= 500 || status === 0 ? 'UPSTREAM_ERROR' : 'AUTH_FAILED';
    return result(failed, status, `login failed (${status})`, 0);
  }

  try {
    await conversationsApi.patchConversationParticipantAttributes(conversationId, participantId, { attributes });
    return result('UPDATED', 202, 'attributes set');
  } catch (error) {
    const status = statusOf(error);
    if (status === 401) tokenExpiresAt = 0; // log in again next time
    if (status === 404) return result('PARTICIPANT_NOT_FOUND', status, 'participant not found');
    if (status === 429) return result('RATE_LIMITED', status, 'rate limited');
    if (status === 401 || status === 403) return result('AUTH_FAILED', status, 'not authorized');
    if (status >= 500) return result('UPSTREAM_ERROR', status, 'Genesys error');
    if (status !== 0) return result('REJECTED', status, `rejected (${status})`);
    const code = (error as { code?: string })?.code;
    const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
    return result(timedOut ? 'TIMEOUT' : 'UPSTREAM_ERROR', 0, `network: ${code ?? nameOf(error)}`);
  }
};

/** The SDK rejects with Genesys's ErrorBody (which has `status`) or, without a response, with the axios error. */
function statusOf(error: unknown): number {
  const e = error as { status?: unknown; response?: { status?: unknown } } | undefined;
  const status = Number(e?.status ?? e?.response?.status ?? 0);
  return Number.isFinite(status) ? status : 0;
}

type NetworkError = { code?: unknown; isAxiosError?: boolean } | undefined;
const isNetworkError = (e: NetworkError): boolean => typeof e?.code === 'string' || e?.isAxiosError === true;

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
