/**
 * The Secrets Manager operations a rotation needs (versions and staging labels), behind an
 * interface so the rotation logic can be read and tested step by step.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerClient } from './secrets-manager-client';
import { type Sensitive, sensitive } from '../sensitive';

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

export interface SecretVersions {
  describe(secretId: string): Promise<SecretDescription>;
  /** undefined when no version has that id / label. */
  getValue(secretId: string, select: { versionId?: string; stage?: string }): Promise<Sensitive | undefined>;
  /** Stores `value` as version `versionId` labelled AWSPENDING (idempotent for the same value). */
  putPending(secretId: string, versionId: string, value: Sensitive): Promise<void>;
  /** Moves AWSCURRENT from `fromVersionId` to `toVersionId` (AWS then labels the old one AWSPREVIOUS). */
  makeCurrent(secretId: string, toVersionId: string, fromVersionId: string | undefined): Promise<void>;
  /** Takes AWSPENDING off `versionId`, so that the next rotation starts with a new version. */
  clearPending(secretId: string, versionId: string): Promise<void>;
}

export function awsSecretVersions(options: { requestTimeoutMs: number }): SecretVersions {
  let client: SecretsManagerClient | undefined;
  // No caller is waiting on a rotation step: the SDK's own retries are welcome here.
  const sm = (): SecretsManagerClient =>
    (client ??= createSecretsManagerClient({ requestTimeoutMs: options.requestTimeoutMs }));
  return {
    async describe(secretId) {
      const reply = await sm().send(new DescribeSecretCommand({ SecretId: secretId }));
      const rules = reply.RotationRules;
      const lastRotatedAt = epochMs(reply.LastRotatedDate);
      const nextRotationAt = epochMs(reply.NextRotationDate);
      return {
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
      };
    },
    async getValue(secretId, select) {
      try {
        const reply = await sm().send(
          new GetSecretValueCommand({ SecretId: secretId, VersionId: select.versionId, VersionStage: select.stage }),
        );
        return reply.SecretString === undefined ? undefined : sensitive(reply.SecretString);
      } catch (error) {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async putPending(secretId, versionId, value) {
      await sm().send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: value.reveal(),
          VersionStages: ['AWSPENDING'],
        }),
      );
    },
    async makeCurrent(secretId, toVersionId, fromVersionId) {
      await sm().send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: toVersionId,
          RemoveFromVersionId: fromVersionId,
        }),
      );
    },
    async clearPending(secretId, versionId) {
      await sm().send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: versionId,
        }),
      );
    },
  };
}

/** A timestamp the SDK parsed, as epoch ms; undefined when absent or not a date. */
function epochMs(date: Date | undefined): number | undefined {
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : undefined;
}
