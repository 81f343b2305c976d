/**
 * The Secrets Manager operations of a rotation (awsSecretVersions), over the real AWS SDK against the
 * emulator on loopback; DescribeSecret's optional members also against a raw loopback answer, since
 * AWS leaves out whatever is unset. What each operation sends, what describe makes of the reply, and
 * each failure as a value naming the operation and the AWS error, never the service's message.
 */
import type http from 'node:http';
import { awsSecretVersions, type SecretsOperation } from '../../lib/aws/secret-versions';
import { LoopbackServer, readBody } from '../emulators/loopback';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { type Sensitive, sensitive } from '../../lib/sensitive';
import { useSecretsEmulator } from '../support/emulator-env';

let emulator: SecretsManagerEmulator;

beforeAll(async () => {
  emulator = await SecretsManagerEmulator.start();
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  useSecretsEmulator(emulator.url);
});

const versions = () => awsSecretVersions({ requestTimeoutMs: 2000 });
/** The value of a call that must have succeeded. */
const value = async <T>(call: Promise<{ ok: true; value: T } | { ok: false; error: unknown }>): Promise<T> => {
  const result = await call;
  if (!result.ok) throw new Error(`expected a value, got ${JSON.stringify(result.error)}`);
  return result.value;
};
const failed = (operation: SecretsOperation, name: string) => ({
  ok: false,
  error: { operation, name, reason: `Secrets Manager ${operation} failed: ${name}` },
});
const current = (name: string) =>
  Object.entries(emulator.stagesOf(name)).find(([, s]) => s.includes('AWSCURRENT'))?.[0];

describe('describe', () => {
  test('the versions by id with their labels, rotation on or off, and the schedule with its dates', async () => {
    const last = Date.parse('2026-01-02T03:04:05Z');
    const next = Date.parse('2026-01-02T07:04:05Z');
    emulator.put('described', 'v1', {
      rotation: {
        scheduleExpression: 'rate(4 hours)',
        duration: '1h',
        automaticallyAfterDays: 1,
        lastRotatedAt: last,
        nextRotationAt: next,
      },
    });
    const id = current('described') ?? '';
    expect(await value(versions().describe('described'))).toEqual({
      rotationEnabled: true,
      versions: { [id]: ['AWSCURRENT'] },
      rotationRules: { automaticallyAfterDays: 1, scheduleExpression: 'rate(4 hours)', duration: '1h' },
      lastRotatedAt: last,
      nextRotationAt: next,
    });
  });

  test('without a schedule: rotation off, and no rules or dates at all (not undefined members)', async () => {
    emulator.put('plain', 'v1');
    const described = await value(versions().describe('plain'));
    expect(described.rotationEnabled).toBe(false);
    expect(Object.keys(described).sort()).toEqual(['rotationEnabled', 'versions']);
  });

  test('a rule set alone is the only member of rotationRules', async () => {
    emulator.put('days-only', 'v1', { rotation: { automaticallyAfterDays: 7 } });
    expect((await value(versions().describe('days-only'))).rotationRules).toEqual({ automaticallyAfterDays: 7 });
  });

  test('a missing secret is a failure for the rotation step to report', async () => {
    expect(await versions().describe('no/such/secret')).toEqual(failed('DescribeSecret', 'ResourceNotFoundException'));
  });
});

describe('describe, against what AWS may leave out', () => {
  let raw: LoopbackServer;
  let answer: Record<string, unknown> = {};
  beforeAll(async () => {
    raw = await LoopbackServer.listen((req: http.IncomingMessage, res: http.ServerResponse) => {
      void readBody(req).then(() => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer));
      });
    });
  });
  afterAll(async () => {
    await raw.close();
  });

  test('no VersionIdsToStages, no RotationEnabled: no versions, rotation off', async () => {
    useSecretsEmulator(raw.url);
    answer = { ARN: 'arn', Name: 'n' };
    expect(await value(versions().describe('n'))).toEqual({ rotationEnabled: false, versions: {} });
  });

  test('RotationEnabled must be true itself, not merely truthy', async () => {
    useSecretsEmulator(raw.url);
    answer = { RotationEnabled: 'yes', VersionIdsToStages: {} };
    expect((await value(versions().describe('n'))).rotationEnabled).toBe(false);
  });

  test('empty RotationRules: an empty schedule, no invented values', async () => {
    useSecretsEmulator(raw.url);
    answer = { RotationEnabled: true, RotationRules: {} };
    expect(await value(versions().describe('n'))).toEqual({ rotationEnabled: true, versions: {}, rotationRules: {} });
  });
});

describe('the version operations', () => {
  test('getValue by stage or by version id; undefined where there is none', async () => {
    emulator.put('valued', 'first');
    const firstId = current('valued') ?? '';
    emulator.put('valued', 'second');
    const v = versions();
    const found = (select: { versionId?: string; stage?: string }): Promise<Sensitive | undefined> =>
      value(v.getValue('valued', select));
    expect(await found({ stage: 'AWSCURRENT' })).toEqual(sensitive('second'));
    expect(await found({ stage: 'AWSPREVIOUS' })).toEqual(sensitive('first'));
    expect(await found({ versionId: firstId })).toEqual(sensitive('first'));
    expect(await v.getValue('valued', { stage: 'AWSPENDING' })).toEqual({ ok: true, value: undefined });
    expect(await v.getValue('no/such/secret', {})).toEqual({ ok: true, value: undefined });
  });

  test('getValue: any failure but "not found" is a failure, never read as "no value"', async () => {
    emulator.put('guarded', 'v');
    emulator.script([{ error: 'AccessDeniedException' }]);
    expect(await versions().getValue('guarded', { stage: 'AWSCURRENT' })).toEqual(
      failed('GetSecretValue', 'AccessDeniedException'),
    );
  });

  test('putPending stores the value labelled AWSPENDING, idempotently; makeCurrent moves AWSCURRENT', async () => {
    emulator.put('rotated', 'old');
    const oldId = current('rotated') ?? '';
    const pendingId = emulator.beginRotation('rotated');
    const v = versions();
    expect(await v.putPending('rotated', pendingId, sensitive('new'))).toEqual({ ok: true, value: undefined });
    expect(await v.putPending('rotated', pendingId, sensitive('new'))).toEqual({ ok: true, value: undefined });
    expect(emulator.valueAt('rotated', 'AWSPENDING')).toBe('new');
    expect(emulator.valueAt('rotated')).toBe('old');
    expect(await v.putPending('rotated', pendingId, sensitive('different'))).toEqual(
      failed('PutSecretValue', 'ResourceExistsException'),
    );

    expect(await v.makeCurrent('rotated', pendingId, oldId)).toEqual({ ok: true, value: undefined });
    expect(emulator.valueAt('rotated')).toBe('new');
    expect(emulator.valueAt('rotated', 'AWSPREVIOUS')).toBe('old');
  });

  test('makeCurrent without naming the holder of AWSCURRENT is refused, not forced', async () => {
    emulator.put('held', 'old');
    const pendingId = emulator.beginRotation('held');
    const v = versions();
    await value(v.putPending('held', pendingId, sensitive('new')));
    expect(await v.makeCurrent('held', pendingId, undefined)).toEqual(
      failed('UpdateSecretVersionStage', 'InvalidParameterException'),
    );
    expect(emulator.valueAt('held')).toBe('old');
  });

  test('clearPending takes AWSPENDING off that version only', async () => {
    emulator.put('cleared', 'old');
    const pendingId = emulator.beginRotation('cleared');
    const v = versions();
    await value(v.putPending('cleared', pendingId, sensitive('new')));
    expect(await v.clearPending('cleared', pendingId)).toEqual({ ok: true, value: undefined });
    expect(emulator.valueAt('cleared', 'AWSPENDING')).toBeUndefined();
    expect(emulator.valueAt('cleared')).toBe('old');
  });

  test("the SDK's own retries stand here: a transient error on a step is retried", async () => {
    emulator.put('retried', 'v');
    emulator.script([{ error: 'InternalServiceError' }]);
    const before = emulator.count('DescribeSecret');
    expect((await value(versions().describe('retried'))).versions).toBeDefined();
    expect(emulator.count('DescribeSecret') - before).toBe(2);
  });
});

describe('a failed call is a value: the operation and the AWS error name, never the message', () => {
  const calls: [SecretsOperation, (v: ReturnType<typeof versions>, pendingId: string) => Promise<unknown>][] = [
    ['DescribeSecret', (v) => v.describe('failing')],
    ['GetSecretValue', (v) => v.getValue('failing', { stage: 'AWSCURRENT' })],
    ['PutSecretValue', (v, pendingId) => v.putPending('failing', pendingId, sensitive('new'))],
    ['UpdateSecretVersionStage', (v, pendingId) => v.makeCurrent('failing', pendingId, undefined)],
    ['UpdateSecretVersionStage', (v, pendingId) => v.clearPending('failing', pendingId)],
  ];

  test.each(calls)('%s', async (operation, send) => {
    emulator.put('failing', 'old');
    const pendingId = emulator.beginRotation('failing');
    emulator.script([{ error: 'AccessDeniedException' }]);
    const result = await send(versions(), pendingId);
    expect(result).toEqual(failed(operation, 'AccessDeniedException'));
    expect(JSON.stringify(result)).not.toContain('scripted');
    expect(emulator.valueAt('failing')).toBe('old');
  });

  test.each([
    ['markup', '<script>alert(1)</script>'],
    ['5,000 characters', 'E'.repeat(5000)],
    ['a sentence quoting a value', 'token sentinel-token-41f2 refused'],
  ])('an error name that is no AWS error name (%s) is UnknownError, not repeated', async (_case, hostile) => {
    emulator.put('hostile', 'v');
    emulator.script([{ error: hostile }]);
    expect(await versions().describe('hostile')).toEqual(failed('DescribeSecret', 'UnknownError'));
  });

  test('no answer at all (nothing listening) is a failure too, once the SDK gives up', async () => {
    useSecretsEmulator('http://127.0.0.1:9');
    expect(await versions().describe('anything')).toMatchObject({ ok: false, error: { operation: 'DescribeSecret' } });
  });

  test('what the SDK throws before sending (an endpoint that is no URL) is a failure of the call too', async () => {
    useSecretsEmulator('not a url');
    expect(await versions().describe('anything')).toEqual(failed('DescribeSecret', 'TypeError'));
  });
});
