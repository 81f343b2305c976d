/**
 * The one way this function builds a Secrets Manager client. It honours the standard variables
 * (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_SECRETS_MANAGER`), so the same code talks to AWS
 * and to the loopback emulator.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretsManagerClientOptions {
  /** Budget of one request to Secrets Manager. */
  requestTimeoutMs: number;
  /**
   * Tries per call, the SDK's own retries included. The flagging path passes 1: its retry loop
   * knows the deadline and the SDK's does not. The rotation, with no caller waiting, keeps the
   * SDK's default.
   */
  maxAttempts?: number;
}

export function createSecretsManagerClient(options: SecretsManagerClientOptions): SecretsManagerClient {
  return new SecretsManagerClient({
    // The SDK's default has no request timeout: a hung connection would eat the budget. Without
    // throwOnRequestTimeout the handler only logs when it passes, and the secret cache would share
    // that hung read with every later invocation of the container (found by the fault matrix).
    requestHandler: {
      requestTimeout: options.requestTimeoutMs,
      connectionTimeout: Math.min(options.requestTimeoutMs, 2000),
      throwOnRequestTimeout: true,
    },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}
