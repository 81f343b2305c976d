/**
 * The Secrets Manager operations of a rotation (awsSecretVersions), over the real AWS SDK against the
 * emulator on loopback; DescribeSecret's optional members also against a raw loopback answer, since
 * AWS leaves out whatever is unset. What each operation sends and what describe makes of the reply.
 */
import type http from 'node:http';
import { awsSecretVersions } from '../../lib/aws/secret-versions';
import { LoopbackServer, readBody } from '../emulators/loopback';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { sensitive } from '../../lib/sensitive';
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
    expect(await versions().describe('described')).toEqual({
      rotationEnabled: true,
      versions: { [id]: ['AWSCURRENT'] },
      rotationRules: { automaticallyAfterDays: 1, scheduleExpression: 'rate(4 hours)', duration: '1h' },
      lastRotatedAt: last,
      nextRotationAt: next,
    });
  });

  test('without a schedule: rotation off, and no rules or dates at all (not undefined members)', async () => {
    emulator.put('plain', 'v1');
    const described = await versions().describe('plain');
    expect(described.rotationEnabled).toBe(false);
    expect(Object.keys(described).sort()).toEqual(['rotationEnabled', 'versions']);
  });

  test('a rule set alone is the only member of rotationRules', async () => {
    emulator.put('days-only', 'v1', { rotation: { automaticallyAfterDays: 7 } });
    expect((await versions().describe('days-only')).rotationRules).toEqual({ automaticallyAfterDays: 7 });
  });

  test('a missing secret is thrown for the rotation step to report', async () => {
    await expect(versions().describe('no/such/secret')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
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
    expect(await versions().describe('n')).toEqual({ rotationEnabled: false, versions: {} });
  });

  test('RotationEnabled must be true itself, not merely truthy', async () => {
    useSecretsEmulator(raw.url);
    answer = { RotationEnabled: 'yes', VersionIdsToStages: {} };
    expect((await versions().describe('n')).rotationEnabled).toBe(false);
  });

  test('empty RotationRules: an empty schedule, no invented values', async () => {
    useSecretsEmulator(raw.url);
    answer = { RotationEnabled: true, RotationRules: {} };
    expect(await versions().describe('n')).toEqual({ rotationEnabled: true, versions: {}, rotationRules: {} });
  });
});

describe('the version operations', () => {
  test('getValue by stage or by version id; undefined where there is none', async () => {
    emulator.put('valued', 'first');
    const firstId = current('valued') ?? '';
    emulator.put('valued', 'second');
    const v = versions();
    expect(await v.getValue('valued', { stage: 'AWSCURRENT' })).toEqual(sensitive('second'));
    expect(await v.getValue('valued', { stage: 'AWSPREVIOUS' })).toEqual(sensitive('first'));
    expect(await v.getValue('valued', { versionId: firstId })).toEqual(sensitive('first'));
    expect(await v.getValue('valued', { stage: 'AWSPENDING' })).toBeUndefined();
    expect(await v.getValue('no/such/secret', {})).toBeUndefined();
  });

  test('getValue: any failure but "not found" is thrown, never read as "no value"', async () => {
    emulator.put('guarded', 'v');
    emulator.script([{ error: 'AccessDeniedException' }]);
    await expect(versions().getValue('guarded', { stage: 'AWSCURRENT' })).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  test('putPending stores the value labelled AWSPENDING, idempotently; makeCurrent moves AWSCURRENT', async () => {
    emulator.put('rotated', 'old');
    const oldId = current('rotated') ?? '';
    const pendingId = emulator.beginRotation('rotated');
    const v = versions();
    await v.putPending('rotated', pendingId, sensitive('new'));
    await v.putPending('rotated', pendingId, sensitive('new'));
    expect(emulator.valueAt('rotated', 'AWSPENDING')).toBe('new');
    expect(emulator.valueAt('rotated')).toBe('old');
    await expect(v.putPending('rotated', pendingId, sensitive('different'))).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });

    await v.makeCurrent('rotated', pendingId, oldId);
    expect(emulator.valueAt('rotated')).toBe('new');
    expect(emulator.valueAt('rotated', 'AWSPREVIOUS')).toBe('old');
  });

  test('makeCurrent without naming the holder of AWSCURRENT is refused, not forced', async () => {
    emulator.put('held', 'old');
    const pendingId = emulator.beginRotation('held');
    const v = versions();
    await v.putPending('held', pendingId, sensitive('new'));
    await expect(v.makeCurrent('held', pendingId, undefined)).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(emulator.valueAt('held')).toBe('old');
  });

  test('clearPending takes AWSPENDING off that version only', async () => {
    emulator.put('cleared', 'old');
    const pendingId = emulator.beginRotation('cleared');
    const v = versions();
    await v.putPending('cleared', pendingId, sensitive('new'));
    await v.clearPending('cleared', pendingId);
    expect(emulator.valueAt('cleared', 'AWSPENDING')).toBeUndefined();
    expect(emulator.valueAt('cleared')).toBe('old');
  });

  test("the SDK's own retries stand here: a transient error on a step is retried", async () => {
    emulator.put('retried', 'v');
    emulator.script([{ error: 'InternalServiceError' }]);
    const before = emulator.count('DescribeSecret');
    expect((await versions().describe('retried')).versions).toBeDefined();
    expect(emulator.count('DescribeSecret') - before).toBe(2);
  });
});
