/**
 * Secrets Manager versions and labels in memory, for the rotation's unit tests (rotation-steps,
 * create-rotator): what awsSecretVersions would answer, without the SDK.
 */
import {
  secretsCallError,
  type SecretDescription,
  type SecretsCall,
  type SecretsOperation,
  type SecretVersions,
} from '../../lib/aws/secret-versions';
import { err, ok } from '../../lib/result';
import { type Sensitive, sensitive } from '../../lib/sensitive';

export type VersionsMethod = 'describe' | 'getValue' | 'putPending' | 'makeCurrent' | 'clearPending';
const OPERATION: Record<VersionsMethod, SecretsOperation> = {
  describe: 'DescribeSecret',
  getValue: 'GetSecretValue',
  putPending: 'PutSecretValue',
  makeCurrent: 'UpdateSecretVersionStage',
  clearPending: 'UpdateSecretVersionStage',
};

/**
 * Versions and labels as Secrets Manager keeps them: one version per label, moving AWSCURRENT
 * leaves AWSPREVIOUS on the version it came from, and it can only be moved from the version that
 * holds it (UpdateSecretVersionStage refuses otherwise). A call fails as awsSecretVersions reports
 * a failure: a value naming the operation and the AWS error.
 */
export class FakeVersions implements SecretVersions {
  rotationEnabled = true;
  rotationRules: SecretDescription['rotationRules'] | undefined = { scheduleExpression: 'rate(4 hours)' };
  readonly labels = new Map<string, string[]>([
    ['v-current', ['AWSCURRENT']],
    ['v-pending', ['AWSPENDING']],
  ]);
  readonly values: Map<string, Sensitive>;
  /** Every call, as `operation secretId args`. */
  readonly calls: string[] = [];
  /** Calls that fail, with the AWS error name they fail with; nothing is read or changed then. */
  readonly failing = new Map<VersionsMethod, string>();
  /** A call that throws this instead, as only a bug would (the real one answers every failure as a value). */
  throwing: { method: VersionsMethod; error: unknown } | undefined;

  /** `values`: version id -> secret string, as stored before the test starts. */
  constructor(values: Record<string, string> = {}) {
    this.values = new Map(Object.entries(values).map(([id, value]) => [id, sensitive(value)]));
  }

  async describe(secretId: string): SecretsCall<SecretDescription> {
    this.calls.push(`describe ${secretId}`);
    return this.answer('describe', () => ({
      rotationEnabled: this.rotationEnabled,
      versions: Object.fromEntries([...this.labels].map(([id, stages]) => [id, [...stages]])),
      ...(this.rotationRules ? { rotationRules: this.rotationRules } : {}),
    }));
  }

  async getValue(secretId: string, select: { versionId?: string; stage?: string }): SecretsCall<Sensitive | undefined> {
    this.calls.push(`getValue ${secretId} ${select.versionId ?? '-'} ${select.stage ?? '-'}`);
    return this.answer('getValue', () => {
      const id = select.versionId ?? this.holder(select.stage ?? 'AWSCURRENT');
      if (id === undefined || (select.stage && !this.labels.get(id)?.includes(select.stage))) return undefined;
      return this.values.get(id);
    });
  }

  async putPending(secretId: string, versionId: string, value: Sensitive): SecretsCall<undefined> {
    this.calls.push(`putPending ${secretId} ${versionId}`);
    return this.answer('putPending', () => {
      this.values.set(versionId, value);
      this.move('AWSPENDING', versionId);
      return undefined;
    });
  }

  async makeCurrent(secretId: string, toVersionId: string, fromVersionId: string | undefined): SecretsCall<undefined> {
    this.calls.push(`makeCurrent ${secretId} ${toVersionId} ${fromVersionId ?? '-'}`);
    const holder = this.holder('AWSCURRENT');
    if (holder !== undefined && holder !== toVersionId && holder !== fromVersionId)
      return err(secretsCallError('UpdateSecretVersionStage', 'InvalidParameterException'));
    return this.answer('makeCurrent', () => {
      for (const stages of this.labels.values()) {
        const at = stages.indexOf('AWSPREVIOUS');
        if (at >= 0) stages.splice(at, 1);
      }
      if (holder !== undefined && holder !== toVersionId) this.labels.get(holder)?.push('AWSPREVIOUS');
      this.move('AWSCURRENT', toVersionId);
      return undefined;
    });
  }

  async clearPending(secretId: string, versionId: string): SecretsCall<undefined> {
    this.calls.push(`clearPending ${secretId} ${versionId}`);
    return this.answer('clearPending', () => {
      this.labels.set(
        versionId,
        (this.labels.get(versionId) ?? []).filter((stage) => stage !== 'AWSPENDING'),
      );
      return undefined;
    });
  }

  /** The call's failure when it is set to fail (before it reads or changes anything), else its value. */
  private answer<T>(method: VersionsMethod, act: () => T): Awaited<SecretsCall<T>> {
    if (this.throwing?.method === method) throw this.throwing.error;
    const name = this.failing.get(method);
    return name === undefined ? ok(act()) : err(secretsCallError(OPERATION[method], name));
  }

  /** The pending value as the fake stores it, parsed, for assertions. */
  pendingJson(): unknown {
    const value = this.values.get('v-pending');
    return value === undefined ? undefined : JSON.parse(value.reveal());
  }

  private holder(stage: string): string | undefined {
    return [...this.labels].find(([, stages]) => stages.includes(stage))?.[0];
  }

  private move(stage: string, versionId: string): void {
    for (const [id, stages] of this.labels)
      if (id !== versionId && stages.includes(stage)) stages.splice(stages.indexOf(stage), 1);
    const stages = this.labels.get(versionId) ?? [];
    if (!stages.includes(stage)) stages.push(stage);
    this.labels.set(versionId, stages);
  }
}
