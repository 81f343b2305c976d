/**
 * A Secrets Manager emulator on loopback speaking the awsJson1.1 protocol (`POST /` with
 * `X-Amz-Target: secretsmanager.<Operation>`), enough for the real `@aws-sdk/client-secrets-manager`
 * reached through `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Errors carry `__type` and
 * `x-amzn-ErrorType` as the service does. It does not verify SigV4 signatures, only that one exists.
 *
 * Operations: GetSecretValue (by VersionId and/or VersionStage, default AWSCURRENT), and for
 * rotation DescribeSecret, PutSecretValue (ClientRequestToken = version id, idempotent) and
 * UpdateSecretVersionStage (moving AWSCURRENT leaves AWSPREVIOUS on the old version, as AWS does).
 * DescribeSecret reports a rotation schedule as AWS does (`RotationRules` with
 * `AutomaticallyAfterDays`, `ScheduleExpression`, `Duration`; `LastRotatedDate` once a rotation
 * completed; `NextRotationDate`, which AWS computes from the schedule, only as a test sets it).
 *
 * It imports nothing from lib/.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { LoopbackServer, readBody } from './loopback';

export type SecretsFault =
  /** An error of this `__type` (any string: a hostile service may send anything there). */
  | { error: string }
  | { hang: true }
  /** Wait, then answer normally. */
  | { delayMs: number }
  /** GetSecretValue answers with `SecretBinary` and no `SecretString`. */
  | { binary: true };

interface StoredVersion {
  /** undefined for the AWSPENDING version a rotation starts with, until createSecret stores it. */
  value: string | undefined;
  stages: Set<string>;
  createdAt: number;
}

/**
 * A secret's rotation schedule, as `RotateSecret` sets it (`RotationRules`), and the dates
 * DescribeSecret reports with it. Times are epoch ms here; the wire carries epoch seconds.
 */
export interface RotationSchedule {
  automaticallyAfterDays?: number;
  /** `rate(4 hours)`, `rate(10 days)` or `cron(...)`, as given: the emulator does not evaluate it. */
  scheduleExpression?: string;
  /** The rotation window, e.g. `2h`. */
  duration?: string;
  lastRotatedAt?: number;
  /** AWS computes this from the schedule; the emulator reports it only when a test sets it. */
  nextRotationAt?: number;
}

interface StoredSecret {
  name: string;
  arn: string;
  versions: Map<string, StoredVersion>;
  rotationEnabled: boolean;
  rotation: RotationSchedule | undefined;
}

export interface SecretsRequest {
  operation: string;
  secretId?: string;
  status: number;
  at: number;
  /** For a hung request: when the client gave up on it and closed the connection. */
  abandonedAt?: number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const ERROR_STATUS: Record<string, number> = {
  ResourceNotFoundException: 400,
  ResourceExistsException: 400,
  InvalidParameterException: 400,
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

  /**
   * Creates the secret, or stores a new current version of it. Returns its ARN. `rotation` sets the
   * schedule (see `setRotation`) and, unless `rotationEnabled` says otherwise, turns rotation on.
   */
  put(name: string, value: string, options: { rotationEnabled?: boolean; rotation?: RotationSchedule } = {}): string {
    let secret = this.secrets.get(name);
    if (!secret) {
      secret = {
        name,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`,
        versions: new Map(),
        rotationEnabled: false,
        rotation: undefined,
      };
      this.secrets.set(name, secret);
    }
    if (options.rotation !== undefined) this.setRotation(name, options.rotation);
    if (options.rotationEnabled !== undefined) secret.rotationEnabled = options.rotationEnabled;
    const versionId = randomUUID();
    secret.versions.set(versionId, { value, stages: new Set(), createdAt: Date.now() });
    this.moveStage(secret, 'AWSCURRENT', versionId);
    return secret.arn;
  }

  /**
   * What RotateSecret does before it invokes the rotation function: a new version id labelled
   * AWSPENDING, with no value yet. Returns that id (the ClientRequestToken of the four steps).
   */
  beginRotation(name: string): string {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`no secret ${name}`);
    const versionId = randomUUID();
    secret.versions.set(versionId, { value: undefined, stages: new Set(), createdAt: Date.now() });
    this.moveStage(secret, 'AWSPENDING', versionId);
    return versionId;
  }

  /**
   * What Secrets Manager does once finishSecret succeeded: the AWSPENDING label goes away, and the
   * rotation's date is kept.
   */
  completeRotation(name: string): void {
    const secret = this.secrets.get(name);
    for (const version of secret?.versions.values() ?? []) version.stages.delete('AWSPENDING');
    if (secret) secret.rotation = { ...secret.rotation, lastRotatedAt: Date.now() };
  }

  /**
   * What `RotateSecret` with `RotationRules` leaves behind: the schedule, and rotation turned on.
   * `undefined`: rotation off (as after `CancelRotateSecret`), and no schedule reported.
   */
  setRotation(name: string, rotation: RotationSchedule | undefined): void {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`no secret ${name}`);
    secret.rotation = rotation === undefined ? undefined : { ...rotation };
    secret.rotationEnabled = rotation !== undefined;
  }

  /** The value at a staging label (default AWSCURRENT), for assertions. */
  valueAt(name: string, stage = 'AWSCURRENT'): string | undefined {
    const secret = this.secrets.get(name);
    return secret ? [...secret.versions.values()].find((v) => v.stages.has(stage))?.value : undefined;
  }

  /** version id -> staging labels, as DescribeSecret reports them. */
  stagesOf(name: string): Record<string, string[]> {
    const secret = this.secrets.get(name);
    return secret ? stagesOf(secret) : {};
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
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    const fail = (type: string, message: string): void =>
      reply(ERROR_STATUS[type] ?? 400, { __type: type, message }, { 'x-amzn-errortype': type });

    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
      fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    const fault = this.faults.shift();
    if (fault && 'hang' in fault) {
      res.on('close', () => (record.abandonedAt = Date.now()));
      return;
    }
    if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault && 'error' in fault) {
      fail(fault.error, `${fault.error.slice(0, 100)} (scripted)`);
      return;
    }
    const secret = secretId ? this.find(secretId) : undefined;
    if (!secret) {
      fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return;
    }
    const text = (key: string): string | undefined =>
      typeof input[key] === 'string' ? (input[key] as string) : undefined;

    switch (operation) {
      case 'GetSecretValue': {
        const versionId = text('VersionId');
        const stage = text('VersionStage') ?? (versionId ? undefined : 'AWSCURRENT');
        const found = [...secret.versions.entries()].find(
          ([id, v]) => (!versionId || id === versionId) && (!stage || v.stages.has(stage)),
        );
        if (!found || found[1].value === undefined) {
          fail(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for staging label or version.",
          );
          return;
        }
        const [id, version] = found;
        const payload =
          fault && 'binary' in fault
            ? { SecretBinary: Buffer.from(version.value ?? '').toString('base64') }
            : { SecretString: version.value };
        reply(200, {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: id,
          ...payload,
          VersionStages: [...version.stages],
          CreatedDate: version.createdAt / 1000,
        });
        return;
      }
      case 'DescribeSecret':
        reply(200, {
          ARN: secret.arn,
          Name: secret.name,
          RotationEnabled: secret.rotationEnabled,
          ...rotationFields(secret.rotation),
          VersionIdsToStages: stagesOf(secret),
        });
        return;
      case 'PutSecretValue': {
        const token = text('ClientRequestToken');
        const value = text('SecretString');
        if (!token || value === undefined) {
          fail('InvalidParameterException', 'ClientRequestToken and SecretString are required here');
          return;
        }
        const existing = secret.versions.get(token);
        if (existing && existing.value !== undefined && existing.value !== value) {
          fail(
            'ResourceExistsException',
            'A version with this ClientRequestToken already exists with a different value.',
          );
          return;
        }
        if (!existing) secret.versions.set(token, { value, stages: new Set(), createdAt: Date.now() });
        else existing.value = value;
        const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : ['AWSCURRENT'];
        for (const stage of stages) this.moveStage(secret, stage, token);
        reply(200, {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: token,
          VersionStages: [...(secret.versions.get(token)?.stages ?? [])],
        });
        return;
      }
      case 'UpdateSecretVersionStage': {
        const stage = text('VersionStage');
        const moveTo = text('MoveToVersionId');
        const removeFrom = text('RemoveFromVersionId');
        if (!stage || (moveTo && !secret.versions.has(moveTo))) {
          fail('InvalidParameterException', 'VersionStage and an existing MoveToVersionId are required');
          return;
        }
        const holder = [...secret.versions.entries()].find(([, v]) => v.stages.has(stage))?.[0];
        if (holder && moveTo && holder !== moveTo && removeFrom !== holder) {
          fail(
            'InvalidParameterException',
            `The staging label ${stage} is attached to version ${holder}; name it in RemoveFromVersionId.`,
          );
          return;
        }
        if (moveTo) this.moveStage(secret, stage, moveTo);
        else if (removeFrom) secret.versions.get(removeFrom)?.stages.delete(stage);
        reply(200, { ARN: secret.arn, Name: secret.name });
        return;
      }
      default:
        fail('UnknownOperationException', `operation ${operation} is not emulated`);
    }
  }

  /** Attaches `stage` to one version only; moving AWSCURRENT marks the old holder AWSPREVIOUS. */
  private moveStage(secret: StoredSecret, stage: string, versionId: string): void {
    for (const [id, version] of secret.versions) {
      if (id === versionId || !version.stages.has(stage)) continue;
      version.stages.delete(stage);
      if (stage === 'AWSCURRENT') {
        for (const v of secret.versions.values()) v.stages.delete('AWSPREVIOUS');
        version.stages.add('AWSPREVIOUS');
      }
    }
    secret.versions.get(versionId)?.stages.add(stage);
    // Versions without any label are deprecated; AWS keeps a few, we drop them.
    for (const [id, version] of secret.versions)
      if (version.stages.size === 0 && id !== versionId) secret.versions.delete(id);
  }
}

function stagesOf(secret: StoredSecret): Record<string, string[]> {
  return Object.fromEntries([...secret.versions.entries()].map(([id, v]) => [id, [...v.stages]]));
}

/** DescribeSecret's rotation members in awsJson1.1: only those that are set; timestamps in epoch seconds. */
function rotationFields(rotation: RotationSchedule | undefined): Record<string, unknown> {
  if (!rotation) return {};
  const rules = {
    ...(rotation.automaticallyAfterDays === undefined
      ? {}
      : { AutomaticallyAfterDays: rotation.automaticallyAfterDays }),
    ...(rotation.duration === undefined ? {} : { Duration: rotation.duration }),
    ...(rotation.scheduleExpression === undefined ? {} : { ScheduleExpression: rotation.scheduleExpression }),
  };
  return {
    ...(Object.keys(rules).length > 0 ? { RotationRules: rules } : {}),
    ...(rotation.lastRotatedAt === undefined ? {} : { LastRotatedDate: rotation.lastRotatedAt / 1000 }),
    ...(rotation.nextRotationAt === undefined ? {} : { NextRotationDate: rotation.nextRotationAt / 1000 }),
  };
}
