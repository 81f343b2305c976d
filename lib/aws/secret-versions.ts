/**
 * The Secrets Manager operations a rotation needs (versions and staging labels), behind an
 * interface so the rotation logic can be read and tested step by step. Every call answers with a
 * Result: a failure the SDK reports (a service error, a network fault, a timeout, credentials or
 * an endpoint it cannot use) is a SecretsCallError naming the operation and the AWS error.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { err, ok, type Result } from '../result';
import { type Sensitive, sensitive } from '../sensitive';
import { awsErrorName, isError } from './secret-source';
import { createSecretsManagerClient } from './secrets-manager-client';

export interface SecretDescription {
  rotationEnabled: boolean;
  /** version id -> staging labels */
  versions: Record<string, string[]>;
  /** The rotation schedule, as DescribeSecret reports `RotationRules` (absent: none set). */
  rotationRules?: { automaticallyAfterDays?: number; scheduleExpression?: string; duration?: string };
  /** Epoch ms of `LastRotatedDate`: when a rotation last completed (absent: never). */
  lastRotatedAt?: number;
  /** Epoch ms of `NextRotationDate`: the next rotation runs on or before it (absent: none scheduled). */
  nextRotationAt?: number;
}

export type SecretsOperation = 'DescribeSecret' | 'GetSecretValue' | 'PutSecretValue' | 'UpdateSecretVersionStage';

/** A Secrets Manager call that failed, as the SDK reported it. */
export interface SecretsCallError {
  operation: SecretsOperation;
  /** The AWS error name (e.g. `AccessDeniedException`), as awsErrorName keeps it: `UnknownError` if unfit. */
  name: string;
  /** `Secrets Manager <operation> failed: <name>`; never the SDK's message, which may quote the request. */
  reason: string;
}

export type SecretsCall<T> = Promise<Result<T, SecretsCallError>>;

export interface SecretVersions {
  describe(secretId: string): SecretsCall<SecretDescription>;
  /** ok(undefined) when no version has that id / label. */
  getValue(secretId: string, select: { versionId?: string; stage?: string }): SecretsCall<Sensitive | undefined>;
  /** Stores `value` as version `versionId` labelled AWSPENDING (idempotent for the same value). */
  putPending(secretId: string, versionId: string, value: Sensitive): SecretsCall<undefined>;
  /** Moves AWSCURRENT from `fromVersionId` to `toVersionId` (AWS then labels the old one AWSPREVIOUS). */
  makeCurrent(secretId: string, toVersionId: string, fromVersionId: string | undefined): SecretsCall<undefined>;
  /** Takes AWSPENDING off `versionId`, so that the next rotation starts with a new version. */
  clearPending(secretId: string, versionId: string): SecretsCall<undefined>;
}

/** The failure of `operation`, as a SecretsCallError: what the rotation reports and the doctor shows. */
export function secretsCallError(operation: SecretsOperation, name: string): SecretsCallError {
  return { operation, name, reason: `Secrets Manager ${operation} failed: ${name}` };
}

export function awsSecretVersions(options: { requestTimeoutMs: number }): SecretVersions {
  let client: SecretsManagerClient | undefined;
  // No caller is waiting on a rotation step: the SDK's own retries are welcome here.
  const sm = (): SecretsManagerClient =>
    (client ??= createSecretsManagerClient({ requestTimeoutMs: options.requestTimeoutMs }));
  return {
    async describe(secretId) {
      const sent = await call('DescribeSecret', () => sm().send(new DescribeSecretCommand({ SecretId: secretId })));
      if (!sent.ok) return sent;
      const reply = sent.value;
      const rules = reply.RotationRules;
      const lastRotatedAt = epochMs(reply.LastRotatedDate);
      const nextRotationAt = epochMs(reply.NextRotationDate);
      return ok({
        rotationEnabled: reply.RotationEnabled === true,
        versions: reply.VersionIdsToStages ?? {},
        ...(lastRotatedAt === undefined ? {} : { lastRotatedAt }),
        ...(nextRotationAt === undefined ? {} : { nextRotationAt }),
        ...(rules
          ? {
              rotationRules: {
                ...(rules.AutomaticallyAfterDays === undefined
                  ? {}
                  : { automaticallyAfterDays: rules.AutomaticallyAfterDays }),
                ...(rules.ScheduleExpression === undefined ? {} : { scheduleExpression: rules.ScheduleExpression }),
                ...(rules.Duration === undefined ? {} : { duration: rules.Duration }),
              },
            }
          : {}),
      });
    },
    async getValue(secretId, select) {
      const sent = await call('GetSecretValue', () =>
        sm().send(
          new GetSecretValueCommand({ SecretId: secretId, VersionId: select.versionId, VersionStage: select.stage }),
        ),
      );
      if (!sent.ok) return sent.error.name === 'ResourceNotFoundException' ? ok(undefined) : sent;
      return ok(sent.value.SecretString === undefined ? undefined : sensitive(sent.value.SecretString));
    },
    async putPending(secretId, versionId, value) {
      const sent = await call('PutSecretValue', () =>
        sm().send(
          new PutSecretValueCommand({
            SecretId: secretId,
            ClientRequestToken: versionId,
            SecretString: value.reveal(),
            VersionStages: ['AWSPENDING'],
          }),
        ),
      );
      return sent.ok ? ok(undefined) : sent;
    },
    async makeCurrent(secretId, toVersionId, fromVersionId) {
      const sent = await call('UpdateSecretVersionStage', () =>
        sm().send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: toVersionId,
            RemoveFromVersionId: fromVersionId,
          }),
        ),
      );
      return sent.ok ? ok(undefined) : sent;
    },
    async clearPending(secretId, versionId) {
      const sent = await call('UpdateSecretVersionStage', () =>
        sm().send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: 'AWSPENDING',
            RemoveFromVersionId: versionId,
          }),
        ),
      );
      return sent.ok ? ok(undefined) : sent;
    },
  };
}

/**
 * One SDK call, its failure as a value. `send` holds nothing but the SDK's own call, so whatever
 * Error it throws is the SDK's: a service error, a network fault or timeout once its retries gave
 * up, and what it throws before sending (credentials that cannot be resolved, an endpoint setting
 * that is no URL), which is the deployment's to fix, not a bug.
 */
async function call<T>(operation: SecretsOperation, send: () => Promise<T>): SecretsCall<T> {
  try {
    return ok(await send());
  } catch (error) {
    if (!isError(error)) throw error;
    return err(secretsCallError(operation, awsErrorName(error)));
  }
}

/** A timestamp the SDK parsed, as epoch ms; undefined when absent or not a date. */
function epochMs(date: Date | undefined): number | undefined {
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : undefined;
}
