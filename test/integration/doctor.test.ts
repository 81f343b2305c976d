/**
 * `npm run doctor` against the emulators, over real sockets, with the real axios client and the
 * real AWS SDK: a healthy setup in both modes, then each misconfiguration seeded on its own, each
 * asserting every check's outcome, the message and fix that matter, and the exit code. No secret or
 * token may appear in any report, in text or JSON; and the CLI itself runs once in a child process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { awsSecretSource } from '../../lib/aws/secret-source';
import { createLogger } from '../../lib/log';
import { ROTATION_STEPS } from '../../lib/rotation/rotation-steps';
import { createRotator } from '../../lib/rotation/create-rotator';
import { awsSide, runDoctor } from '../../scripts/doctor/checks';
import {
  exitCode,
  formatJson,
  formatLines,
  type CheckId,
  type CheckResult,
  type Outcome,
} from '../../scripts/doctor/report';
import { runCli } from '../../scripts/doctor';
import { DOCUMENTED_ROLE } from '../emulators/genesys';
import { CLIENT_ID, CLIENT_SECRET, credentialsSecret, SECRET_NAME } from '../support/emulator-env';
import { startHarness, type Harness } from '../support/harness';

const ROOT = path.join(__dirname, '../..');
const TOKEN_SECRET = 'genesys/flagger/token';
const HOUR = 3_600_000;

let h: Harness;
/** Every report printed in this file, both forms: checked for secrets after the last test. */
const printed: string[] = [];

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});
afterAll(() => {
  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
  for (const text of printed) {
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(basic);
    expect(text).not.toContain('sentinel');
  }
});

interface Run {
  checks: CheckResult[];
  outcome: Record<CheckId, Outcome>;
  get(id: CheckId): CheckResult;
  code: number;
  text: string;
}

/** The doctor with the deployer's environment for these emulators, changed by `change`. */
async function doctor(change: Record<string, string | undefined> = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...h.env, ...change };
  const checks = await runDoctor(env);
  const text = `${formatLines(checks).join('\n')}\n${formatJson(checks)}`;
  printed.push(text);
  // No token the emulator issued, so far, shows up in what was printed.
  for (const token of h.genesys.issuedTokens()) expect(text).not.toContain(token);
  return {
    checks,
    outcome: Object.fromEntries(checks.map((c) => [c.id, c.outcome])) as Record<CheckId, Outcome>,
    get: (id) => checks.find((c) => c.id === id) ?? fail(new Error(`no check ${id}`)),
    code: exitCode(checks),
    text,
  };
}

const REQUIRED_CC: CheckId[] = [
  'config',
  'secret-readable',
  'secret-well-formed',
  'environment',
  'token-granted',
  'lookup-permitted',
  'patch-permitted',
];
const allPass = (ids: CheckId[]) => Object.fromEntries(ids.map((id) => [id, 'pass']));
const genesysSent = () => h.genesys.requests.map((r) => `${r.method} ${r.route} ${r.status}`);

describe('client-credentials mode', () => {
  test(
    'a healthy setup: every required check passes, ' + 'with one token, one lookup and one PATCH that sets nothing',
    async () => {
      const run = await doctor();
      expect(run.outcome).toEqual({ ...allPass(REQUIRED_CC), 'region-pairing': 'pass', 'data-action': 'skipped' });
      expect(run.code).toBe(0);
      expect(run.checks.map((c) => [c.id, c.required])).toEqual([
        ...REQUIRED_CC.map((id) => [id, true]),
        ['region-pairing', false],
        ['data-action', false],
      ]);
      expect(run.get('config').message).toBe(
        `client-credentials mode, credentials secret "${SECRET_NAME}"; API host overridden: ${h.genesys.url}; ` +
          `login host overridden: ${h.genesys.url}`,
      );
      expect(run.get('secret-readable').message).toBe(`read the credentials secret "${SECRET_NAME}" in us-east-1`);
      expect(run.get('environment').message).toContain(
        'mypurecloud.com: Genesys region us-east-1, which pairs with AWS region us-east-1',
      );
      expect(run.get('token-granted').message).toBe('the login host granted a token (it lives 1 d)');
      expect(run.get('lookup-permitted').message).toContain(
        'answered 404: the role may read conversations (conversation:communication:view)',
      );
      expect(run.get('patch-permitted').message).toContain(
        'answered 404: the client may set attributes (nothing was set)',
      );
      // The documented role cannot list data actions: the optional check says what it would need.
      expect(run.get('data-action').message).toBe(
        "skipped: needs integrations:action:view or bridge:actions:view on the OAuth client's role " +
          '(the function itself does not)',
      );

      expect(genesysSent()).toEqual([
        'POST token 200',
        'GET get-conversation 404',
        'PATCH patch-attributes 404',
        'GET list-actions 403',
      ]);
      const [lookup, patch] = [h.genesys.requests[1], h.genesys.requests[2]];
      // Random ids, two different conversations, and a body that sets no attribute.
      expect(lookup?.conversationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(patch?.conversationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(patch?.conversationId).not.toBe(lookup?.conversationId);
      expect(patch?.body).toEqual({ attributes: {} });
      expect(h.secrets.requests.map((r) => r.operation)).toEqual(['GetSecretValue']);
    },
  );

  test(
    'with the right to view data actions, ' + 'the optional check finds the action and compares its contracts',
    async () => {
      h.genesys.setPermissions(CLIENT_ID, [...DOCUMENTED_ROLE, 'integrations:action:view']);
      const contract = (name: string): unknown =>
        JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts', name), 'utf8')) as unknown;
      const input = contract('flag-participant.input.json') as { properties: Record<string, unknown> };
      h.genesys.addAction({
        name: 'Flag participant',
        contract: {
          input: { inputSchema: input },
          output: { successSchema: contract('flag-participant.output.json') },
        },
      });
      h.genesys.addAction({
        name: 'Flag participants of another kind',
        contract: { input: { inputSchema: {} }, output: { successSchema: {} } },
      });

      const good = await doctor();
      expect(good.get('data-action')).toMatchObject({
        outcome: 'pass',
        message: `"Flag participant" has this repository's input and output contracts`,
      });
      expect(genesysSent().slice(-2)).toEqual(['GET list-actions 200', 'GET get-action 200']);

      const { risk_level: _dropped, ...rest } = input.properties;
      h.genesys.addAction({
        name: 'Flag participant (webhook)',
        contract: {
          input: { inputSchema: { ...input, properties: rest } },
          output: { successSchema: contract('flag-participant.output.json') },
        },
      });
      const drifted = await doctor();
      expect(drifted.get('data-action')).toMatchObject({
        outcome: 'warn',
        message: '"Flag participant (webhook)": its input contract lacks risk_level',
        fix: expect.stringContaining('npm run contracts, then terraform apply'),
      });
      expect(drifted.code).toBe(0);
    },
  );

  test('the optional data action check: none in the org yet is a warning, never a failure', async () => {
    h.genesys.setPermissions(CLIENT_ID, [...DOCUMENTED_ROLE, 'bridge:actions:view']);
    const run = await doctor();
    expect(run.get('data-action')).toMatchObject({
      outcome: 'warn',
      message: 'no data action named "Flag participant" in the org yet',
      fix: expect.stringContaining('step 5 of docs/deploy.md'),
    });
    expect(run.code).toBe(0);
  });

  test('a missing secret: named, with the AWS error name and the likely fix; nothing is sent to Genesys', async () => {
    const run = await doctor({ GENESYS_CREDENTIALS_SECRET_ID: 'genesys/flagger/typo' });
    expect(run.get('secret-readable')).toMatchObject({
      outcome: 'fail',
      message:
        'the credentials secret "genesys/flagger/typo" could not be read in us-east-1: ResourceNotFoundException',
      fix: expect.stringContaining('check the id (its name or full ARN) and AWS_REGION'),
    });
    expect(run.outcome).toMatchObject({
      config: 'pass',
      'secret-well-formed': 'skipped',
      'token-granted': 'skipped',
      'patch-permitted': 'skipped',
      'data-action': 'skipped',
    });
    expect(run.get('token-granted').message).toBe('skipped: needs the "secret readable" check to pass first');
    expect(run.code).toBe(1);
    expect(h.genesys.arrivals).toEqual([]);
  });

  test.each([
    ['AccessDeniedException', 'allow secretsmanager:GetSecretValue on the secret, and kms:Decrypt on its key'],
    ['DecryptionFailure', "allow kms:Decrypt on the secret's KMS key"],
    ['InvalidRequestException', 'scheduled for deletion'],
    ['ThrottlingException', 'Secrets Manager did not answer'],
  ])('Secrets Manager answering %s: the fix for that error', async (error, fix) => {
    h.secrets.script([{ error }]);
    const run = await doctor();
    expect(run.get('secret-readable')).toMatchObject({
      outcome: 'fail',
      message: expect.stringContaining(`: ${error}`),
      fix: expect.stringContaining(fix),
    });
    expect(run.code).toBe(1);
  });

  test("the error name comes from the function's own secret source, validated there", async () => {
    h.secrets.script([{ error: 'AccessDeniedException' }, { error: '<b>not a name</b>' }]);
    const source = awsSecretSource({ requestTimeoutMs: 1000 });
    expect(await source.fetch(SECRET_NAME)).toEqual({
      ok: false,
      error: {
        kind: 'config',
        reason: 'Secrets Manager GetSecretValue failed: AccessDeniedException',
        errorName: 'AccessDeniedException',
      },
    });
    expect(await source.fetch(SECRET_NAME)).toMatchObject({ ok: false, error: { errorName: 'UnknownError' } });
  });

  test.each([
    [
      'a secret without its client secret',
      JSON.stringify({ clientId: 'sentinel-id', environment: 'mypurecloud.com' }),
      'the credentials secret lacks clientSecret',
    ],
    [
      'a secret that is not JSON',
      'clientId=sentinel-id clientSecret=sentinel-secret',
      'the credentials secret is not a JSON object: expected {"clientId", "clientSecret", "environment"}',
    ],
  ])('%s: the missing field is named, no value is shown', async (_case, value, message) => {
    h.secrets.put('doctor/malformed', value);
    const run = await doctor({ GENESYS_CREDENTIALS_SECRET_ID: 'doctor/malformed' });
    expect(run.get('secret-well-formed')).toMatchObject({
      outcome: 'fail',
      message,
      fix: expect.stringContaining('"clientSecret": "…"'),
    });
    expect(run.outcome['token-granted']).toBe('skipped');
    expect(run.code).toBe(1);
    expect(h.genesys.arrivals).toEqual([]);
  });

  describe('the login host refuses the client', () => {
    const store = (clientId: string, clientSecret: string) => {
      h.secrets.put('doctor/client', JSON.stringify({ clientId, clientSecret, environment: 'mypurecloud.com' }));
      return { GENESYS_CREDENTIALS_SECRET_ID: 'doctor/client' };
    };

    test(
      'a wrong client secret and an unknown client id get the same answer from the login host, ' +
        'so the same message',
      async () => {
        const wrongSecret = await doctor(store(CLIENT_ID, 'sentinel-wrong-secret'));
        const unknownId = await doctor(store('sentinel-unknown-client', CLIENT_SECRET));
        for (const run of [wrongSecret, unknownId]) {
          expect(run.get('token-granted')).toMatchObject({
            outcome: 'fail',
            message:
              'the login host refused the OAuth client (401 invalid_client): ' +
              'the client id or the client secret is wrong (Genesys answers the same for either), ' +
              'or the client belongs to an org in another region',
            fix: expect.stringContaining('Client Credentials OAuth client'),
          });
          expect(run.outcome).toMatchObject({
            'lookup-permitted': 'skipped',
            'patch-permitted': 'skipped',
            'data-action': 'skipped',
          });
          expect(run.code).toBe(1);
        }
        expect(wrongSecret.get('token-granted').message).toBe(unknownId.get('token-granted').message);
        expect(genesysSent()).toEqual(['POST token 401', 'POST token 401']);
      },
    );

    test('unauthorized_client does tell: the client authenticated, but lacks the grant type', async () => {
      h.genesys.script('token', [
        { status: 400, body: '{"error":"unauthorized_client","error_description":"sentinel description"}' },
      ]);
      const run = await doctor();
      expect(run.get('token-granted')).toMatchObject({
        outcome: 'fail',
        message:
          'the login host refused the OAuth client (400 unauthorized_client): ' +
          'the client id and secret are right, but the client may not use the client-credentials grant',
        fix: expect.stringContaining('Client Credentials grant type'),
      });
    });

    test.each([
      [429, { status: 429, retryAfter: '30' }],
      [503, { status: 503 }],
    ])('%i: the login host is unavailable, try again', async (status, fault) => {
      h.genesys.script('token', [fault]);
      const run = await doctor();
      expect(run.get('token-granted')).toMatchObject({
        outcome: 'fail',
        message: `login host unavailable (${status}), try again`,
      });
      expect(run.code).toBe(1);
    });

    test('an unreachable login host is said so, with where to look', async () => {
      const run = await doctor({ GENESYS_LOGIN_BASE_URL: 'http://127.0.0.1:1' });
      expect(run.get('token-granted')).toMatchObject({
        outcome: 'fail',
        message: 'the login host could not be reached: token request failed: refused',
        fix: expect.stringContaining('GENESYS_LOGIN_BASE_URL'),
      });
    });
  });

  test('an unknown environment fails before any request, and credentials go nowhere', async () => {
    h.secrets.put('doctor/env', credentialsSecret({ environment: 'sentinel.example.com' }));
    const run = await doctor({
      GENESYS_CREDENTIALS_SECRET_ID: 'doctor/env',
      GENESYS_API_BASE_URL: undefined,
      GENESYS_LOGIN_BASE_URL: undefined,
    });
    expect(run.get('environment')).toMatchObject({
      outcome: 'fail',
      message:
        'the credentials secret names an unknown Genesys environment: ' +
        'use a domain such as "mypurecloud.com" or a region such as "us-east-1"',
      fix: expect.stringContaining('"mypurecloud.ie" or "eu-west-1"'),
    });
    expect(run.outcome).toMatchObject({ 'token-granted': 'skipped', 'region-pairing': 'skipped' });
    expect(run.code).toBe(1);
    expect(h.genesys.arrivals).toEqual([]);
  });

  test('an unknown environment behind both host overrides works, as the function does, but is a warning', async () => {
    h.secrets.put('doctor/env', credentialsSecret({ environment: 'sentinel.example.com' }));
    const run = await doctor({ GENESYS_CREDENTIALS_SECRET_ID: 'doctor/env' });
    expect(run.get('environment')).toMatchObject({
      outcome: 'warn',
      message: expect.stringContaining(
        'names no known Genesys environment; only GENESYS_API_BASE_URL and GENESYS_LOGIN_BASE_URL',
      ),
    });
    expect(run.outcome).toMatchObject({
      'token-granted': 'pass',
      'patch-permitted': 'pass',
      'region-pairing': 'skipped',
    });
    expect(run.code).toBe(0);
  });

  test(
    'an org in another Genesys region than the AWS region in use: ' +
      'the optional pairing check warns, the run passes',
    async () => {
      h.secrets.put('doctor/ie', credentialsSecret({ environment: 'mypurecloud.ie' }));
      const run = await doctor({ GENESYS_CREDENTIALS_SECRET_ID: 'doctor/ie' });
      expect(run.get('environment').message).toContain(
        'mypurecloud.ie: Genesys region eu-west-1, which pairs with AWS region eu-west-1',
      );
      expect(run.get('region-pairing')).toMatchObject({
        outcome: 'warn',
        required: false,
        message:
          "the AWS region in use is us-east-1, the org's Genesys region is eu-west-1: " +
          "Genesys's help pages for the AWS Lambda data actions integration ask for the paired region",
        fix: expect.stringContaining('deploy the stack and its secrets in eu-west-1'),
      });
      expect(run.code).toBe(0);
    },
  );

  test(
    'a role without conversation:communication:view: ' + 'the lookup fails naming it; the PATCH still passes',
    async () => {
      h.genesys.setPermissions(CLIENT_ID, ['routing:queue:view']);
      const run = await doctor();
      expect(run.get('lookup-permitted')).toMatchObject({
        outcome: 'fail',
        message: expect.stringMatching(
          new RegExp(
            /^GET \/api\/v2\/conversations\/\{id\} was refused \(403 missing\.any\.permissions; /.source +
              /Genesys names conversation:communication:view\): the OAuth client's role lacks /.source +
              /conversation:communication:view \(Genesys contextId [0-9a-f-]{36}\)$/.source,
          ),
        ),
        fix: expect.stringContaining("add conversation:communication:view to the OAuth client's role"),
      });
      expect(run.outcome['patch-permitted']).toBe('pass');
      expect(run.code).toBe(1);
    },
  );

  test("a 403's text is untrusted: only validated permission names reach the report", async () => {
    const padding = 'z'.repeat(5000);
    const message = `denied <script>x</script> sentinel-value-4417 analytics:conversationDetail:view ${padding}`;
    h.genesys.script('get-conversation', [
      {
        status: 403,
        body: JSON.stringify({ code: 'missing.permissions', message, contextId: 'sentinel context id with spaces' }),
      },
    ]);
    const run = await doctor();
    // The body's context id is not shaped like one: the correlation header's is quoted instead.
    expect(run.get('lookup-permitted').message).toMatch(
      new RegExp(
        /^GET \/api\/v2\/conversations\/\{id\} was refused \(403 missing\.permissions; /.source +
          /Genesys names analytics:conversationDetail:view\): the OAuth client's role lacks /.source +
          /conversation:communication:view \(Genesys contextId [0-9a-f-]{36}\)$/.source,
      ),
    );
  });

  test('a PATCH refused with 403 fails; the PATCH lists no permission, so the fix is a role', async () => {
    h.genesys.script('patch-attributes', [{ status: 403, code: 'not.authorized' }]);
    const run = await doctor();
    expect(run.get('patch-permitted')).toMatchObject({
      outcome: 'fail',
      message: expect.stringContaining('was refused (403 not.authorized); Genesys lists no required permission for it'),
      fix: 'check that the OAuth client has a role in the org (Admin > Integrations > OAuth > Roles)',
    });
    expect(run.code).toBe(1);
  });

  test('a PATCH answered 400 is a warning: the token was accepted, but the permission is not proven', async () => {
    h.genesys.script('patch-attributes', [{ status: 400, code: 'invalid.value' }]);
    const run = await doctor();
    expect(run.get('patch-permitted')).toMatchObject({
      outcome: 'warn',
      message: expect.stringContaining(
        "answered 400 invalid.value to the probe's empty attribute map: the token was accepted, " +
          'but a 400 does not prove the PATCH is permitted',
      ),
    });
    expect(run.code).toBe(0);
  });

  test('Genesys unavailable for the lookup: a failure that says try again', async () => {
    h.genesys.script('get-conversation', [{ status: 503 }]);
    const run = await doctor();
    expect(run.get('lookup-permitted')).toMatchObject({
      outcome: 'fail',
      message: expect.stringMatching(
        new RegExp(
          /^GET \/api\/v2\/conversations\/\{id\}: Genesys answered 503 service\.unavailable /.source +
            /\(Genesys contextId [0-9a-f-]{36}\), try again$/.source,
        ),
      ),
    });
  });

  test('a configuration the function refuses: its reason verbatim, nothing else runs', async () => {
    const run = await doctor({ FLAG_DEADLINE_MS: 'soon', GENESYS_HTTPS_PROXY: 'https://proxy.example:8080' });
    expect(run.get('config')).toMatchObject({
      outcome: 'fail',
      message:
        'configuration: FLAG_DEADLINE_MS must be a whole number from 1 to 900000; ' +
        'GENESYS_HTTPS_PROXY must be http://host:port, without credentials, path or query',
    });
    expect(run.checks.filter((c) => c.id !== 'config').every((c) => c.outcome === 'skipped')).toBe(true);
    expect(run.code).toBe(1);
    expect(h.secrets.requests).toEqual([]);
  });
});

describe('token mode', () => {
  /** The token secret with a schedule, filled by one rotation as Secrets Manager runs it. */
  async function rotatedTokenSecret(rotation: {
    scheduleExpression?: string;
    automaticallyAfterDays?: number;
    nextRotationAt?: number;
  }): Promise<void> {
    h.secrets.put(TOKEN_SECRET, '{}', { rotation });
    const rotator = createRotator(
      { ...h.env, GENESYS_TOKEN_SECRET_ID: TOKEN_SECRET },
      { logger: createLogger({ sink: () => undefined }) },
    );
    const version = h.secrets.beginRotation(TOKEN_SECRET);
    for (const Step of ROTATION_STEPS) {
      const outcome = await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });
      if (!outcome.ok) throw new Error(`${Step}: ${outcome.error}`);
    }
    h.secrets.completeRotation(TOKEN_SECRET);
  }
  const tokenMode = { GENESYS_TOKEN_SECRET_ID: TOKEN_SECRET, GENESYS_CREDENTIALS_SECRET_ID: undefined };
  const REQUIRED_TOKEN: CheckId[] = [
    'config',
    'secret-readable',
    'secret-well-formed',
    'environment',
    'token-live',
    'token-rotation',
    'lookup-permitted',
    'patch-permitted',
  ];

  test('a healthy setup: the stored token is live and outlives the next rotation; no token is minted', async () => {
    await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
    const before = h.genesys.requests.length;
    const run = await doctor(tokenMode);
    expect(run.outcome).toEqual({ ...allPass(REQUIRED_TOKEN), 'region-pairing': 'pass', 'data-action': 'skipped' });
    expect(run.code).toBe(0);
    expect(run.get('config').message).toContain(`token mode, token secret "${TOKEN_SECRET}"`);
    expect(run.get('token-live').message).toMatch(
      /^Genesys accepts it \(GET \/api\/v2\/tokens\/me\); it expires at \S+Z, in (1 d|23 h \d+ min)$/,
    );
    expect(run.get('token-rotation').message).toMatch(
      new RegExp(
        /^the token expires at \S+Z, more than 1 h after the next rotation, /.source +
          /by \S+Z \(last rotated \S+Z, rate\(4 hours\) in a 1 h window\)$/.source,
      ),
    );
    expect(h.genesys.requests.slice(before).map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
      'GET tokens-me 200',
      'GET get-conversation 404',
      'PATCH patch-attributes 404',
      'GET list-actions 403',
    ]);
    const tokenSecretOps = h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET).map((r) => r.operation);
    expect(tokenSecretOps.slice(-2).sort()).toEqual(['DescribeSecret', 'GetSecretValue']);
  });

  test("Secrets Manager's NextRotationDate is what the token must outlive, when it gives one", async () => {
    await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
    h.secrets.setRotation(TOKEN_SECRET, {
      scheduleExpression: 'rate(4 hours)',
      nextRotationAt: Date.now() + 30 * HOUR,
    });
    const run = await doctor(tokenMode);
    expect(run.get('token-rotation')).toMatchObject({
      outcome: 'fail',
      message: expect.stringMatching(
        new RegExp(
          /before the next rotation, by \S+Z \(NextRotationDate from Secrets Manager; schedule rate\(4 hours\)\): /
            .source + /flags would fail with AUTH_FAILED in between$/.source,
        ),
      ),
    });
  });

  test('an expired stored token fails, and the checks that need a token do not run', async () => {
    h.secrets.put(
      TOKEN_SECRET,
      JSON.stringify({
        accessToken: 'sentinelExpiredToken',
        expiresAt: new Date(Date.now() - 2 * HOUR).toISOString(),
        environment: 'mypurecloud.com',
      }),
      {
        rotation: { scheduleExpression: 'rate(4 hours)' },
      },
    );
    const run = await doctor(tokenMode);
    expect(run.get('token-live')).toMatchObject({
      outcome: 'fail',
      message: expect.stringMatching(/^the stored token expired at \S+Z, 2 h ago: nothing replaced it$/),
    });
    expect(run.outcome).toMatchObject({
      'lookup-permitted': 'skipped',
      'patch-permitted': 'skipped',
      'data-action': 'skipped',
    });
    expect(run.get('lookup-permitted').message).toBe('skipped: needs the "stored token live" check to pass first');
    expect(run.code).toBe(1);
    expect(h.genesys.arrivals).toEqual([]);
  });

  /** The stored token as the last rotation wrote it, with `expiresAt` replaced (the token itself still works). */
  function restamp(expiresAt: number): void {
    const stored = JSON.parse(h.secrets.valueAt(TOKEN_SECRET) ?? '{}') as Record<string, unknown>;
    h.secrets.put(TOKEN_SECRET, JSON.stringify({ ...stored, expiresAt: new Date(expiresAt).toISOString() }));
  }

  test('a schedule changed after the last rotation: the token, working now, dies before the next one', async () => {
    await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
    h.secrets.setRotation(TOKEN_SECRET, { scheduleExpression: 'rate(1 day)', lastRotatedAt: Date.now() });
    const run = await doctor(tokenMode);
    expect(run.outcome).toMatchObject({
      'token-live': 'pass',
      'token-rotation': 'fail',
      'lookup-permitted': 'pass',
      'patch-permitted': 'pass',
    });
    expect(run.get('token-rotation')).toMatchObject({
      message: expect.stringMatching(
        new RegExp(
          /^the token expires at \S+Z, before the next rotation, /.source +
            /by \S+Z \(last rotated \S+Z, rate\(1 day\) in a 24 h window\): /.source +
            /flags would fail with AUTH_FAILED in between$/.source,
        ),
      ),
      fix: expect.stringContaining('rotate more often than the OAuth client'),
    });
    expect(run.code).toBe(1);

    h.secrets.setRotation(TOKEN_SECRET, { automaticallyAfterDays: 1, lastRotatedAt: Date.now() });
    expect((await doctor(tokenMode)).get('token-rotation')).toMatchObject({
      outcome: 'fail',
      message: expect.stringContaining('every 1 day in a 24 h window'),
    });
  });

  test(
    'a token that outlives the next rotation by less than the hour to spare fails; ' + 'an overdue rotation too',
    async () => {
      await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
      h.secrets.setRotation(TOKEN_SECRET, { scheduleExpression: 'rate(4 hours)', lastRotatedAt: Date.now() });
      restamp(Date.now() + 5.5 * HOUR); // the next rotation is due within 5 h
      const close = await doctor(tokenMode);
      expect(close.get('token-rotation')).toMatchObject({
        outcome: 'fail',
        message: expect.stringMatching(
          new RegExp(
            /less than 1 h after the next rotation, by \S+Z \(.*\): /.source +
              /a late or retried rotation would leave flags failing with AUTH_FAILED$/.source,
          ),
        ),
      });

      h.secrets.setRotation(TOKEN_SECRET, {
        scheduleExpression: 'rate(4 hours)',
        lastRotatedAt: Date.now() - 7 * HOUR,
      });
      const overdue = await doctor(tokenMode);
      expect(overdue.get('token-rotation')).toMatchObject({
        outcome: 'fail',
        message: expect.stringMatching(
          new RegExp(
            /^the rotation is overdue: it was due by \S+Z \(last rotated \S+Z, rate\(4 hours\) in a 1 h window\); /
              .source + /the token expires at \S+Z$/.source,
          ),
        ),
        fix: expect.stringContaining("rotate-token function's log"),
      });
    },
  );

  test('rotation not enabled is said so; a schedule that cannot be read is a warning', async () => {
    await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
    h.secrets.setRotation(TOKEN_SECRET, undefined);
    const off = await doctor(tokenMode);
    expect(off.get('token-rotation')).toMatchObject({
      outcome: 'fail',
      message: expect.stringMatching(
        /^rotation is not enabled on the token secret: nothing replaces the token, which expires at \S+Z$/,
      ),
    });
    expect(off.code).toBe(1);

    h.secrets.setRotation(TOKEN_SECRET, { scheduleExpression: 'cron(0 */4 * * ? *)' });
    const cron = await doctor(tokenMode);
    expect(cron.get('token-rotation')).toMatchObject({
      outcome: 'warn',
      message: expect.stringContaining('rotation is enabled, but the schedule cron(0 */4 * * ? *) is not read here'),
    });
    expect(cron.code).toBe(0);
  });

  test('a token Genesys no longer accepts: GET /api/v2/tokens/me answered 401, run a rotation', async () => {
    await rotatedTokenSecret({ scheduleExpression: 'rate(4 hours)' });
    h.genesys.revokeTokens();
    const run = await doctor(tokenMode);
    expect(run.get('token-live')).toMatchObject({
      outcome: 'fail',
      message: expect.stringContaining('GET /api/v2/tokens/me answered 401'),
      fix: expect.stringContaining('run a rotation'),
    });
    expect(run.outcome['lookup-permitted']).toBe('skipped');
  });

  test("DescribeSecret through the real SDK: the emulator's RotationRules and dates as AWS sends them", async () => {
    const aws = awsSide(1000);
    h.secrets.put(TOKEN_SECRET, '{}');
    expect(await aws.describeSecret(TOKEN_SECRET)).toEqual({ ok: true, facts: { rotationEnabled: false } });
    const last = Date.parse('2030-01-01T00:00:00Z');
    h.secrets.setRotation(TOKEN_SECRET, {
      scheduleExpression: 'rate(10 days)',
      duration: '3h',
      automaticallyAfterDays: 10,
      lastRotatedAt: last,
      nextRotationAt: last + 240 * HOUR,
    });
    expect(await aws.describeSecret(TOKEN_SECRET)).toEqual({
      ok: true,
      facts: {
        rotationEnabled: true,
        rotationRules: { scheduleExpression: 'rate(10 days)', duration: '3h', automaticallyAfterDays: 10 },
        lastRotatedAt: last,
        nextRotationAt: last + 240 * HOUR,
      },
    });
    expect(await aws.describeSecret('genesys/flagger/none')).toEqual({
      ok: false,
      errorName: 'ResourceNotFoundException',
    });
    expect(await aws.region()).toBe('us-east-1');
  });

  test('a malformed token secret names what it lacks', async () => {
    h.secrets.put(TOKEN_SECRET, JSON.stringify({ accessToken: 'sentinelToken', environment: 'mypurecloud.com' }), {
      rotation: { scheduleExpression: 'rate(4 hours)' },
    });
    const run = await doctor(tokenMode);
    expect(run.get('secret-well-formed')).toMatchObject({
      outcome: 'fail',
      message: 'the token secret lacks expiresAt',
    });
    expect(run.code).toBe(1);
  });
});

describe('the CLI', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  test('without either secret variable it prints what to set and exits 2; an unknown option too', async () => {
    const none = io();
    expect(await runCli([], { AWS_REGION: 'eu-west-1' }, none.io)).toBe(2);
    expect(none.out).toEqual([]);
    expect(none.err.join('\n')).toContain('GENESYS_CREDENTIALS_SECRET_ID');
    expect(none.err.join('\n')).toContain('npm run doctor -- --emulators');
    const odd = io();
    expect(await runCli(['--jsno'], h.env, odd.io)).toBe(2);
    expect(odd.err[0]).toBe('unknown option --jsno\n');
  });

  test('against a setup: lines, or JSON, and the exit code', async () => {
    const text = io();
    expect(await runCli([], h.env, text.io)).toBe(0);
    expect(text.out.at(-1)).toBe('Every required check passed: the function can flag with this setup.');
    const json = io();
    h.genesys.setPermissions(CLIENT_ID, ['routing:queue:view']);
    expect(await runCli(['--json'], h.env, json.io)).toBe(1);
    const report = JSON.parse(json.out.join('\n')) as { id: string; outcome: string }[];
    expect(report.find((c) => c.id === 'lookup-permitted')?.outcome).toBe('fail');
    printed.push(text.out.join('\n'), json.out.join('\n'));
  });

  test('npm run doctor -- --emulators --json in a child process on a fresh environment: ' +
    'exit 0, JSON that parses', async () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/doctor.ts', '--emulators', '--json'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as {
      id: string;
      required: boolean;
      outcome: string;
      message: string;
      fix: string | null;
    }[];
    expect(report.filter((c) => c.required).map((c) => c.outcome)).toEqual(REQUIRED_CC.map(() => 'pass'));
    expect(report.map((c) => c.id)).toEqual([...REQUIRED_CC, 'region-pairing', 'data-action']);
    expect(report.find((c) => c.id === 'data-action')).toMatchObject({ outcome: 'skipped', fix: null });
    printed.push(stdout);
  }, 30_000);
});
