/**
 * A Secrets Manager emulator on loopback speaking the awsJson1.1 protocol (`POST /` with
 * `X-Amz-Target: secretsmanager.<Operation>`), enough for the real `@aws-sdk/client-secrets-manager`
 * reached through `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Errors carry `__type` and
 * `x-amzn-ErrorType` as the service does. It does not verify SigV4 signatures, only that one exists.
 *
 * It imports nothing from lib/.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { LoopbackServer, readBody } from './loopback';

export type SecretsFault =
  | { error: 'ThrottlingException' | 'InternalServiceError' | 'AccessDeniedException' | 'DecryptionFailure' }
  | { hang: true };

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  versionId: string;
  createdAt: number;
}

export interface SecretsRequest {
  operation: string;
  secretId?: string;
  status: number;
  at: number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const ERROR_STATUS: Record<string, number> = {
  ResourceNotFoundException: 400,
  ThrottlingException: 400,
  AccessDeniedException: 400,
  DecryptionFailure: 400,
  InvalidRequestException: 400,
  InternalServiceError: 500,
  UnknownOperationException: 400,
  MissingAuthenticationTokenException: 403,
};

export class SecretsManagerEmulator {
  readonly requests: SecretsRequest[] = [];
  private readonly secrets = new Map<string, StoredSecret>();
  private faults: SecretsFault[] = [];
  private server!: LoopbackServer;

  static async start(port = 0): Promise<SecretsManagerEmulator> {
    const emulator = new SecretsManagerEmulator();
    emulator.server = await LoopbackServer.listen((req, res) => void emulator.handle(req, res), port);
    return emulator;
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Creates the secret, or stores a new current version of it. Returns its ARN. */
  put(name: string, value: string): string {
    const existing = this.secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`;
    this.secrets.set(name, { name, arn, value, versionId: randomUUID(), createdAt: Date.now() });
    return arn;
  }

  remove(name: string): void {
    this.secrets.delete(name);
  }

  /** Faults are consumed in order by the next requests. */
  script(faults: SecretsFault[]): void {
    this.faults.push(...faults);
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(operation = 'GetSecretValue'): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  private find(secretId: string): StoredSecret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : target;
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      // handled as a missing SecretId below
    }
    const secretId = typeof input.SecretId === 'string' ? input.SecretId : undefined;
    const record: SecretsRequest = { operation, status: 0, at: Date.now(), ...(secretId ? { secretId } : {}) };
    this.requests.push(record);

    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (type: string, message: string): void =>
      reply(ERROR_STATUS[type] ?? 400, { __type: type, message }, { 'x-amzn-errortype': type });

    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
      fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    const fault = this.faults.shift();
    if (fault && 'hang' in fault) return;
    if (fault) {
      fail(fault.error, `${fault.error} (scripted)`);
      return;
    }
    if (operation !== 'GetSecretValue') {
      fail('UnknownOperationException', `operation ${operation} is not emulated`);
      return;
    }
    const secret = secretId ? this.find(secretId) : undefined;
    if (!secret) {
      fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return;
    }
    reply(200, {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdAt / 1000,
    });
  }
}
