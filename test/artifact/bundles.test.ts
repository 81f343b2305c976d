/**
 * The deployable artifacts, not the sources: each esbuild bundle that serverless.yml ships, loaded
 * by a fresh `node` process from a folder that holds nothing else (as in Lambda), talking to the
 * emulators over loopback, on this machine's Node and on Node 22 (Lambda's nodejs22.x major,
 * installed from the npm registry as the `node` dev dependency); and the packaged zips and
 * CloudFormation template. `npm test` builds and packages before jest runs.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLIENT_SECRET } from '../support/emulator-env';
import { bundleEnv, type Harness, newConversation, startHarness } from '../support/harness';
import { sqsRecord } from '../support/sqs';

const ROOT = path.resolve(__dirname, '../..');
/** This machine's Node, and Lambda's major. */
const NODES: [string, string][] = [
  [`this machine's Node ${process.version}`, process.execPath],
  ["Node 22, Lambda's major", path.join(ROOT, 'node_modules/node/bin/node')],
];
const BUNDLES = ['data-action', 'events', 'webhook', 'authorizer', 'rotate-token'];
const TOKEN = 'artifact-webhook-token-5e7a90c1';

let h: Harness;
let lambdaDir: string;

beforeAll(async () => {
  h = await startHarness();
  h.secrets.put('webhook/token', TOKEN);
  lambdaDir = mkdtempSync(path.join(tmpdir(), 'flagger-lambda-'));
  mkdirSync(path.join(lambdaDir, 'dist/functions'), { recursive: true });
  for (const name of BUNDLES) {
    const bundle = path.join(ROOT, `dist/functions/${name}.mjs`);
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` (npm test does)`);
    copyFileSync(bundle, path.join(lambdaDir, `dist/functions/${name}.mjs`));
  }
});

afterAll(async () => {
  await h?.close();
  if (lambdaDir) rmSync(lambdaDir, { recursive: true, force: true });
});

/** Invokes a bundle's handler in a child process like the Lambda runtime would; returns its result and stdout lines. */
function invokeBundle(
  node: string,
  name: string,
  event: unknown,
  env: Record<string, string>,
  remainingMs = 10_000,
): Promise<{ result: Record<string, unknown>; lines: string[] }> {
  const script = `
    const { handler } = await import('./dist/functions/${name}.mjs');
    const end = Date.now() + ${remainingMs};
    const r = await handler(JSON.parse(process.argv[1]), {
      awsRequestId: 'req-artifact',
      getRemainingTimeInMillis: () => end - Date.now(),
    });
    process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n');`;
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['--input-type=module', '-e', script, JSON.stringify(event)], {
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
      resolve({
        result: JSON.parse(resultLine.slice(7)) as Record<string, unknown>,
        lines: lines.filter((l) => l !== resultLine),
      });
    });
  });
}

const lambdaEnv = (extra: Record<string, string> = {}): Record<string, string> => bundleEnv(h, extra);

describe.each(NODES)('on %s', (_label, node) => {
  describe('data-action.mjs', () => {
    test(
      'alone, it flags a late participant and logs the overrides and the prefetch at load, ' +
        'and a line for the flag',
      async () => {
        const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 200 });
        const { result, lines } = await invokeBundle(
          node,
          'data-action',
          { conversationId, participantId, compliance_checked: true },
          lambdaEnv(),
        );

        expect(result).toMatchObject({ status: 'UPDATED', updated: true, httpStatus: 202, participantId });
        expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
        // At load, the warning that the hosts are overridden (the emulator) and one line for the
        // prefetch; then one for the flag.
        expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
          'Genesys host override in force',
          'prefetched',
          'flagged',
        ]);
        expect(JSON.parse(lines[2] ?? '')).toMatchObject({
          level: 'info',
          message: 'flagged',
          status: 'UPDATED',
          conversationId,
          attributeKeys: ['compliance_checked'],
        });
        expect(lines.join('\n')).not.toContain(CLIENT_SECRET);
      },
    );

    test('bad input and missing configuration are statuses, not crashes', async () => {
      const invalid = await invokeBundle(node, 'data-action', { conversationId: 'x' }, lambdaEnv());
      expect(invalid.result).toMatchObject({ status: 'INVALID_INPUT', attempts: 0, correlationId: 'req-artifact' });
      // The contract of infra/contracts/attributes.json is in the bundle: any other attribute is refused by name.
      const c = newConversation(h.genesys);
      const outside = await invokeBundle(
        node,
        'data-action',
        { ...c, compliance_checked: true, vip: 'gold' },
        lambdaEnv(),
      );
      expect(outside.result).toMatchObject({
        status: 'INVALID_INPUT',
        attempts: 0,
        message: 'attribute "vip" is not in the attribute contract (infra/contracts/attributes.json)',
      });
      expect(h.genesys.attributesOf(c.conversationId, c.participantId)).toEqual({});

      const env = lambdaEnv();
      delete (env as Record<string, string | undefined>).GENESYS_CREDENTIALS_SECRET_ID;
      const unconfigured = await invokeBundle(node, 'data-action', { conversationId: 'x' }, env);
      expect(unconfigured.result).toMatchObject({
        status: 'CONFIG_ERROR',
        message: expect.stringContaining('GENESYS_CREDENTIALS_SECRET_ID'),
      });
    });
  });

  describe('events.mjs', () => {
    test('a mixed SQS batch answers exactly the records to redeliver', async () => {
      const ok = newConversation(h.genesys);
      const late = newConversation(h.genesys, { resolveAfterMs: 300 });
      const never = newConversation(h.genesys, { resolveAfterMs: 60_000 });
      const viaBus = newConversation(h.genesys);
      const event = {
        Records: [
          sqsRecord('ok', JSON.stringify({ ...ok, compliance_checked: true })),
          sqsRecord('late', JSON.stringify({ ...late, compliance_checked: true })),
          sqsRecord('never', JSON.stringify({ ...never, compliance_checked: true })),
          sqsRecord('malformed', 'not json'),
          sqsRecord(
            'bus',
            JSON.stringify({
              'detail-type': 'Identity Verified',
              source: 'idv',
              detail: { ...viaBus, compliance_checked: true },
            }),
          ),
        ],
      };
      const { result, lines } = await invokeBundle(node, 'events', event, lambdaEnv(), 2500);

      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'never' }, { itemIdentifier: 'malformed' }] });
      // An attribute outside the contract is refused, and so is the envelope of a source the stack does not name.
      const outside = newConversation(h.genesys);
      const named = newConversation(h.genesys);
      const refused = await invokeBundle(
        node,
        'events',
        {
          Records: [
            sqsRecord(
              'outside',
              JSON.stringify({ ...outside, attributes: { compliance_checked: 'true', vip: 'gold' } }),
            ),
            sqsRecord(
              'other-source',
              JSON.stringify({
                'detail-type': 'Identity Verified',
                source: 'someone.else',
                detail: { ...outside, compliance_checked: true },
              }),
            ),
            sqsRecord(
              'named',
              JSON.stringify({
                'detail-type': 'Identity Verified',
                source: 'idv',
                detail: { ...named, compliance_checked: true },
              }),
            ),
          ],
        },
        lambdaEnv({ QUEUE_ACCEPTS: 'eventbridge', EVENT_SOURCES: 'idv' }),
        2500,
      );
      expect(refused.result).toEqual({
        batchItemFailures: [{ itemIdentifier: 'outside' }, { itemIdentifier: 'other-source' }],
      });
      expect(h.genesys.attributesOf(outside.conversationId, outside.participantId)).toEqual({});
      expect(h.genesys.attributesOf(named.conversationId, named.participantId)).toEqual({ compliance_checked: 'true' });
      expect(h.genesys.attributesOf(viaBus.conversationId, viaBus.participantId)).toEqual({
        compliance_checked: 'true',
      });
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(parsed.filter((l) => l.messageId)).toHaveLength(5);
      expect(parsed.at(-1)).toMatchObject({ message: 'batch done', records: 5, failed: 2 });
    });

    test('events of odd shapes are answered, never thrown: what can be reported is, the rest is logged', async () => {
      const ok = newConversation(h.genesys);
      for (const event of [null, 'text', {}, { Records: 'everything' }, { Records: null }]) {
        const { result, lines } = await invokeBundle(node, 'events', event, lambdaEnv(), 2500);
        expect(result).toEqual({ batchItemFailures: [] });
        expect(lines.join('\n')).toContain('not a queue event');
      }
      const mixed = {
        Records: [
          null,
          { body: '{}' },
          { messageId: 'good', body: JSON.stringify({ ...ok, compliance_checked: true }) },
          { messageId: 'no-body' },
        ],
      };
      const { result, lines } = await invokeBundle(node, 'events', mixed, lambdaEnv(), 2500);
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'no-body' }] });
      expect(lines.filter((l) => l.includes('queue record dropped'))).toHaveLength(2);
    });
  });

  describe('webhook.mjs', () => {
    const apiEvent = (body: string, headers: Record<string, string>, isBase64Encoded = false) => ({
      version: '2.0',
      routeKey: 'POST /flag',
      rawPath: '/flag',
      rawQueryString: '',
      headers,
      requestContext: {
        http: { method: 'POST', path: '/flag', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
        requestId: 'r',
        routeKey: 'POST /flag',
        stage: '$default',
      },
      body,
      isBase64Encoded,
    });

    test('an authenticated base64 request is flagged; no token is 401', async () => {
      const { conversationId, participantId } = newConversation(h.genesys);
      const body = Buffer.from(JSON.stringify({ conversationId, participantId, compliance_checked: true })).toString(
        'base64',
      );
      const env = lambdaEnv({ WEBHOOK_TOKEN_SECRET_ID: 'webhook/token' });
      const ok = await invokeBundle(
        node,
        'webhook',
        apiEvent(body, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, true),
        env,
      );
      expect(ok.result).toMatchObject({ statusCode: 200 });
      expect(JSON.parse(String(ok.result.body))).toMatchObject({ status: 'UPDATED', participantId });

      const denied = await invokeBundle(
        node,
        'webhook',
        apiEvent(body, { 'content-type': 'application/json' }, true),
        env,
      );
      expect(denied.result).toMatchObject({ statusCode: 401 });
      const outsideBody = Buffer.from(
        JSON.stringify({ ...newConversation(h.genesys), attributes: { vip: 'gold' } }),
      ).toString('base64');
      const outside = await invokeBundle(
        node,
        'webhook',
        apiEvent(outsideBody, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, true),
        env,
      );
      expect(outside.result).toMatchObject({ statusCode: 200 });
      expect(JSON.parse(String(outside.result.body))).toMatchObject({
        status: 'INVALID_INPUT',
        message: 'attribute "vip" is not in the attribute contract (infra/contracts/attributes.json)',
      });
      expect([...ok.lines, ...denied.lines].join('\n')).not.toContain(TOKEN);
    });
  });

  describe('authorizer.mjs', () => {
    const authorizerEvent = (authorization?: string) => ({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:us-east-1:123456789012:api/$default/POST/flag',
      identitySource: authorization ? [authorization] : [],
      routeKey: 'POST /flag',
      headers: authorization ? { authorization } : {},
    });

    test('alone, it authorizes the right bearer token and refuses a wrong one; neither token is logged', async () => {
      const env = lambdaEnv({ WEBHOOK_TOKEN_SECRET_ID: 'webhook/token' });
      const ok = await invokeBundle(node, 'authorizer', authorizerEvent(`Bearer ${TOKEN}`), env);
      expect(ok.result).toEqual({ isAuthorized: true });
      const wrong = await invokeBundle(node, 'authorizer', authorizerEvent('Bearer not-the-token-1234567890'), env);
      expect(wrong.result).toEqual({ isAuthorized: false });
      const lines = [...ok.lines, ...wrong.lines].join('\n');
      expect(lines).not.toContain(TOKEN);
      expect(lines).not.toContain('not-the-token');
    });
  });

  describe('rotate-token.mjs', () => {
    test('alone, it runs the four rotation steps; a failing step throws, as Secrets Manager expects', async () => {
      h.secrets.put('genesys/token', '{}', { rotationEnabled: true });
      const version = h.secrets.beginRotation('genesys/token');
      const script = `
        const { handler } = await import('./dist/functions/rotate-token.mjs');
        for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
          await handler({ SecretId: 'genesys/token', ClientRequestToken: '${version}', Step });
        }
        try {
          await handler({ SecretId: 'genesys/token', ClientRequestToken: 'nope', Step: 'createSecret' });
          console.log('NO THROW');
        } catch (e) { console.log('THREW ' + e.message); }
        try {
          await handler({ SecretId: 'genesys/other', ClientRequestToken: '${version}', Step: 'createSecret' });
          console.log('NO THROW');
        } catch (e) { console.log('THREW ' + e.message); }`;
      // Asynchronously: the emulators answering it live in this process.
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          node,
          ['--input-type=module', '-e', script],
          {
            cwd: lambdaDir,
            env: { PATH: process.env.PATH ?? '', ...lambdaEnv({ GENESYS_TOKEN_SECRET_ID: 'genesys/token' }) },
          },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      expect(out).toContain('THREW version nope is not a version of the token secret');
      expect(out).toContain(
        'THREW refused: the event names another secret than the token secret this function rotates',
      );
      expect(out).not.toContain('NO THROW');
      const stored = JSON.parse(h.secrets.valueAt('genesys/token') ?? '{}') as { accessToken?: string };
      expect(h.genesys.issuedTokens()).toContain(stored.accessToken);
      expect(h.secrets.stagesOf('genesys/token')[version]).toContain('AWSCURRENT');
    });
  });
});

describe('deployment package', () => {
  type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const template = (): Template =>
    JSON.parse(
      readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;

  const NO_SECRET = 'configuration: GENESYS_CREDENTIALS_SECRET_ID is not set (nor GENESYS_TOKEN_SECRET_ID)';
  const NO_BEARER = 'WEBHOOK_TOKEN_SECRET_ID is not set';
  test.each([
    ['dataAction', 'data-action', [NO_SECRET]],
    ['events', 'events', [NO_SECRET]],
    ['webhook', 'webhook', [NO_SECRET, NO_BEARER]],
    ['authorizer', 'authorizer', [NO_BEARER]],
    // The rotation reads its configuration on its first event, so its init says nothing.
    ['rotateToken', 'rotate-token', []],
  ])('%s.zip holds exactly the tested bundle, which needs no node_modules', (fn, bundle, reasons) => {
    const zip = path.join(ROOT, `.serverless/${fn}.zip`);
    if (!existsSync(zip)) throw new Error(`${zip} is missing: run \`npm run package\` (npm test does)`);
    expect(zipEntries(readFileSync(zip))).toEqual([`dist/functions/${bundle}.mjs`]);
    // It loads with nothing but itself and, with no environment at all, its init names what is
    // missing in JSON log lines instead of failing (its prefetch, without a secret, gives up quietly).
    for (const [, node] of NODES) {
      const stdout = execFileSync(
        node,
        ['--input-type=module', '-e', `await import('./dist/functions/${bundle}.mjs')`],
        {
          cwd: lambdaDir,
          env: { PATH: process.env.PATH ?? '' },
          stdio: 'pipe',
          encoding: 'utf8',
        },
      );
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { level: string; message: string; reason: string });
      expect(lines.map(({ level, message, reason }) => [level, message, reason])).toEqual(
        reasons.map((reason) => ['error', 'configuration invalid', reason]),
      );
    }
  });

  test('functions run nodejs22.x with timeouts above their deadlines', () => {
    const r = template().Resources;
    for (const [logical, handler] of [
      ['DataActionLambdaFunction', 'dist/functions/data-action.handler'],
      ['EventsLambdaFunction', 'dist/functions/events.handler'],
      ['WebhookLambdaFunction', 'dist/functions/webhook.handler'],
    ] as const) {
      const fn = r[logical]?.Properties as {
        Handler: string;
        Runtime: string;
        Timeout: number;
        Environment: { Variables: Record<string, string> };
      };
      expect(fn).toMatchObject({ Handler: handler, Runtime: 'nodejs22.x' });
      expect(fn.Timeout * 1000).toBeGreaterThan(Number(fn.Environment.Variables.FLAG_DEADLINE_MS) + 500);
    }
  });

  test('each function may read only the secrets it uses; no wildcard actions', () => {
    const r = template().Resources;
    const statements = (role: string) =>
      expandConditions(
        ((r[role]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[])[0]?.PolicyDocument
          .Statement ?? [],
      );
    const secretsOf = (role: string) =>
      JSON.stringify(statements(role).filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:'))));
    expect(secretsOf('DataActionRole')).toContain('credentials-??????');
    expect(secretsOf('DataActionRole')).not.toContain('webhook-token');
    expect(secretsOf('EventsRole')).not.toContain('webhook-token');
    expect(secretsOf('WebhookRole')).toContain('webhook-token-??????');
    expect(secretsOf('AuthorizerRole')).toContain('webhook-token-??????');
    expect(secretsOf('AuthorizerRole')).not.toContain('credentials');
    for (const role of ['DataActionRole', 'EventsRole', 'WebhookRole', 'AuthorizerRole']) {
      for (const s of statements(role)) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
        // The VPC's network-interface actions alone take every resource (docs/deploy.md).
        if ([s.Action].flat().every((a) => a.startsWith('ec2:'))) continue;
        expect(JSON.stringify(s.Resource)).not.toBe('"*"');
      }
    }
  });

  test('the queue redrives to a dead-letter queue and the event bus rule feeds the queue', () => {
    const r = template().Resources;
    expect(r.IdentityVerifiedQueue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['IdentityVerifiedDLQ', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(r.IdentityVerifiedRule?.Properties).toMatchObject({
      EventPattern: { 'detail-type': ['Identity Verified'] },
    });
    const mapping = Object.values(r).find((x) => x.Type === 'AWS::Lambda::EventSourceMapping')?.Properties;
    expect(mapping).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const route = Object.values(r).find((x) => x.Type === 'AWS::ApiGatewayV2::Route')?.Properties;
    expect(route).toMatchObject({ RouteKey: 'POST /flag' });
  });
});

describe('AWS stack (rendered template)', () => {
  type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
  type Template = {
    Parameters: Record<string, { Default?: string; AllowedPattern?: string }>;
    Resources: Record<string, Resource>;
  };
  const template = (): Template =>
    JSON.parse(
      readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
  const ofType = (type: string) => Object.entries(template().Resources).filter(([, r]) => r.Type === type);

  test(
    'Genesys may assume the invoke role only with the org id as ExternalId, ' + 'and only to invoke the data action',
    () => {
      const role = template().Resources.GenesysInvokeRole?.Properties as {
        AssumeRolePolicyDocument: { Statement: unknown[] };
        Policies: { PolicyDocument: { Statement: unknown[] } }[];
      };
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${GenesysAwsAccountId}:root' } },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'GenesysOrgId' } } },
        },
      ]);
      expect(role.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': ['DataActionLambdaFunction', 'Arn'] },
        },
      ]);
      const params = template().Parameters;
      expect(params.GenesysAwsAccountId?.Default).toBe('765628985471');
      expect(params.GenesysOrgId?.Default).toBeUndefined(); // a deploy without the org id fails loudly
      expect(params.GenesysOrgId?.AllowedPattern).toContain('[0-9a-fA-F]{8}');
    },
  );

  test('no IAM statement anywhere allows a wildcard action or resource', () => {
    const statements: { Action: unknown; Resource: unknown }[] = [];
    for (const [, role] of ofType('AWS::IAM::Role')) {
      for (const policy of (role.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[]) ?? []) {
        statements.push(...expandConditions(policy.PolicyDocument.Statement));
      }
    }
    expect(statements.length).toBeGreaterThanOrEqual(8);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(String(action)).not.toContain('*');
      // In a VPC, Lambda's network-interface actions: AWS's Lambda guide requires every resource for
      // them (docs/deploy.md lists this grant); nothing else.
      if ([s.Action].flat().every((a) => String(a).startsWith('ec2:'))) {
        expect([s.Action].flat().sort()).toEqual([
          'ec2:AssignPrivateIpAddresses',
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:UnassignPrivateIpAddresses',
        ]);
        continue;
      }
      const resource = JSON.stringify(s.Resource);
      // The one place AWS requires a wildcard: the log streams of a function's own log group (":*").
      const withoutLogStreams = resource.replace(
        /(:log-group:\/aws\/lambda\/genesys-participant-flagger-dev-[A-Za-z]+):\*"/g,
        '$1"',
      );
      expect(withoutLogStreams).not.toContain('*');
    }
  });

  test('token mode: only the rotation may write the token secret; it rotates every 4 hours', () => {
    const r = template().Resources;
    const rotation = expandConditions(
      ((r.RotateTokenRole?.Properties.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[])[0]
        ?.PolicyDocument.Statement ?? [],
    );
    const writes = rotation.filter((st) =>
      [st.Action].flat().some((a) => String(a) === 'secretsmanager:PutSecretValue'),
    );
    expect(writes).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: { Ref: 'GenesysTokenSecret' },
      },
    ]);
    for (const role of ['DataActionRole', 'EventsRole', 'WebhookRole']) {
      expect(JSON.stringify(r[role]?.Properties.Policies)).not.toContain('PutSecretValue');
    }
    expect(r.GenesysTokenRotation).toMatchObject({
      Condition: 'UseTokenMode',
      Properties: { RotationRules: { ScheduleExpression: 'rate(4 hours)' }, RotateImmediatelyOnUpdate: true },
    });
    expect(r.RotateTokenInvokePermission?.Properties).toMatchObject({
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(r.GenesysTokenSecret?.Condition).toBe('UseTokenMode');
  });

  test(
    'every log group keeps its logs for the logRetentionDays parameter (365 by default), ' +
      'and is kept when the stack goes',
    () => {
      const groups = ofType('AWS::Logs::LogGroup');
      expect(groups).toHaveLength(6);
      for (const [, g] of groups) expect(g.Properties.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
      for (const [, g] of groups) expect(g).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(template().Parameters.LogRetentionDays?.Default).toBe(365);
    },
  );

  test('alarms watch misconfiguration, the DLQ and throttles, and notify the alarm topic', () => {
    const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm'));
    expect(alarms.AuthFailedAlarm?.Properties).toMatchObject({
      Namespace: 'GenesysParticipantFlagger/dev',
      MetricName: 'Flags',
      Dimensions: [{ Name: 'Status', Value: 'AUTH_FAILED' }],
      Threshold: 0,
    });
    expect(alarms.ConfigErrorAlarm?.Properties).toMatchObject({
      MetricName: 'Flags',
      Dimensions: [{ Name: 'Status', Value: 'CONFIG_ERROR' }],
    });
    expect(alarms.DeadLetterAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['IdentityVerifiedDLQ', 'QueueName'] } }],
    });
    expect(JSON.stringify(alarms.ThrottlesAlarm?.Properties)).toContain('"MetricName":"Throttles"');
    expect(JSON.stringify(alarms.ThrottlesAlarm?.Properties)).toContain('RATE_LIMITED');
    // Token mode: a failed rotation step throws, so the rotation function's Errors are its alarm.
    expect(alarms.TokenRotationFailedAlarm).toMatchObject({
      Condition: 'UseTokenMode',
      Properties: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'RotateTokenLambdaFunction' } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    });
    for (const alarm of Object.values(alarms)) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(template().Resources.AlarmEmailSubscription?.Condition).toBe('HasAlarmEmail');
    // The function's environment names the namespace the alarms read.
    const env = (
      (template().Resources.DataActionLambdaFunction?.Properties.Environment ?? {}) as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env.METRICS_NAMESPACE).toBe('GenesysParticipantFlagger/dev');
  });

  test('the dashboard shows flags by status, attempts and p95 time to flag', () => {
    const body = JSON.parse(String(template().Resources.Dashboard?.Properties.DashboardBody)) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Flags by status (per minute)',
        'Genesys requests per flag',
        'Time to flag, UPDATED (ms)',
      ]),
    );
    expect(JSON.stringify(body)).toContain('"stat":"p95"');
  });
});

/** IAM statements with `Fn::If` conditions opened into both branches (AWS::NoValue dropped). */
function expandConditions(statements: unknown[]): { Effect?: string; Action: string | string[]; Resource: unknown }[] {
  return statements.flatMap((st) => {
    const branch = (st as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
    if (!branch) return [st as { Action: string | string[]; Resource: unknown }];
    return expandConditions([branch[1], branch[2]].filter((b) => JSON.stringify(b) !== '{"Ref":"AWS::NoValue"}'));
  });
}

/** File names from a zip's central directory (PK\x01\x02 records). */
function zipEntries(zip: Buffer): string[] {
  const names: string[] = [];
  for (let i = zip.indexOf('PK\x01\x02'); i >= 0; i = zip.indexOf('PK\x01\x02', i + 46)) {
    const nameLength = zip.readUInt16LE(i + 28);
    names.push(zip.subarray(i + 46, i + 46 + nameLength).toString('utf8'));
  }
  return names;
}
