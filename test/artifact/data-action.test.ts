/**
 * The deployable artifact, not the sources: the esbuild bundle that serverless.yml ships, loaded
 * by a fresh `node` process from a folder that holds nothing else (as in Lambda), talking to the
 * emulators over loopback. `npm test` builds and packages before jest runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLIENT_SECRET, newConversation, startHarness, type Harness } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = path.join(ROOT, 'dist/functions/data-action.js');
const ZIP = path.join(ROOT, '.serverless/dataAction.zip');

let h: Harness;
let lambdaDir: string;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error('dist/functions/data-action.js is missing: run `npm run build` (npm test does)');
  h = await startHarness();
  lambdaDir = mkdtempSync(path.join(tmpdir(), 'flagger-lambda-'));
  mkdirSync(path.join(lambdaDir, 'dist/functions'), { recursive: true });
  copyFileSync(BUNDLE, path.join(lambdaDir, 'dist/functions/data-action.js'));
});

afterAll(async () => {
  await h.close();
  rmSync(lambdaDir, { recursive: true, force: true });
});

/** Invokes the bundle's handler in a child process like the Lambda runtime would; returns result and stdout lines. */
function invokeBundle(event: unknown, env: Record<string, string>, remainingMs = 10_000): Promise<{ result: Record<string, unknown>; lines: string[] }> {
  const script = `
    const { handler } = require('./dist/functions/data-action.js');
    const end = Date.now() + ${remainingMs};
    handler(JSON.parse(process.argv[1]), { awsRequestId: 'req-artifact', getRemainingTimeInMillis: () => end - Date.now() })
      .then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(event)], {
      cwd: lambdaDir,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.trim().split('\n');
      const resultLine = lines.find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !resultLine) return reject(new Error(`bundle exited ${code}: ${err}`));
      resolve({ result: JSON.parse(resultLine.slice(7)) as Record<string, unknown>, lines: lines.filter((l) => l !== resultLine) });
    });
  });
}

const awsEnv = () => ({
  AWS_ENDPOINT_URL_SECRETS_MANAGER: h.secrets.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
  AWS_SECRET_ACCESS_KEY: 'emulator-aws-secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

test('the bundle alone flags a late participant and logs one JSON line', async () => {
  const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 200 });
  const { result, lines } = await invokeBundle({ conversationId, participantId, compliance_checked: true }, { ...h.env, ...awsEnv(), LOG_LEVEL: 'info' });

  expect(result).toMatchObject({ status: 'UPDATED', updated: true, httpStatus: 202, participantId });
  expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', message: 'flagged', status: 'UPDATED', conversationId, attributeKeys: ['compliance_checked'] });
  expect(lines.join('\n')).not.toContain(CLIENT_SECRET);
});

test('the bundle answers bad input and missing configuration with statuses, not crashes', async () => {
  const invalid = await invokeBundle({ conversationId: 'x' }, { ...h.env, ...awsEnv() });
  expect(invalid.result).toMatchObject({ status: 'INVALID_INPUT', attempts: 0, correlationId: 'req-artifact' });

  const unconfigured = await invokeBundle({ conversationId: 'x' }, awsEnv());
  expect(unconfigured.result).toMatchObject({ status: 'CONFIG_ERROR', message: expect.stringContaining('GENESYS_CREDENTIALS_SECRET_ID') });
});

test('the deployment zip holds exactly the bundle that was tested, at the handler path', () => {
  if (!existsSync(ZIP)) throw new Error('.serverless/dataAction.zip is missing: run `npm run package` (npm test does)');
  expect(zipEntries(readFileSync(ZIP))).toEqual(['dist/functions/data-action.js']);
  const template = JSON.parse(readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const fn = template.Resources.DataActionLambdaFunction?.Properties;
  expect(fn).toMatchObject({ Handler: 'dist/functions/data-action.handler', Runtime: 'nodejs22.x' });
  expect(Number(fn?.Timeout) * 1000).toBeGreaterThan(8000 + 500); // above deadline + safety margin
  const statements = JSON.stringify(template.Resources.IamRoleLambdaExecution?.Properties);
  expect(statements).toContain('"Action":["secretsmanager:GetSecretValue"]');
  expect(statements).not.toMatch(/"Action":\s*\[?"(\*|secretsmanager:\*)"/);
  // The bundle must not need node_modules: Lambda gets only the zip.
  expect(() => execFileSync(process.execPath, ['-e', "require('./dist/functions/data-action.js')"], { cwd: lambdaDir, env: { PATH: process.env.PATH ?? '' }, stdio: 'pipe' })).not.toThrow();
});

/** File names from a zip's central directory (PK\x01\x02 records). */
function zipEntries(zip: Buffer): string[] {
  const names: string[] = [];
  for (let i = zip.indexOf('PK\x01\x02'); i >= 0; i = zip.indexOf('PK\x01\x02', i + 46)) {
    const nameLength = zip.readUInt16LE(i + 28);
    names.push(zip.subarray(i + 46, i + 46 + nameLength).toString('utf8'));
  }
  return names;
}
