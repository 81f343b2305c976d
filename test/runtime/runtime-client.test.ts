/**
 * The packaged bundles inside AWS's own runtime interface client (npm `aws-lambda-ric`, the
 * runtime Lambda's Node images run), behind a loopback Lambda Runtime API, on this machine's Node
 * and on Node 22 (Lambda's nodejs22.x major). No script of ours calls a handler here: the runtime
 * client loads it from the zip's layout by the handler name serverless.yml gives it, takes the
 * deadline from `Lambda-Runtime-Deadline-Ms`, serialises results, and reports init failures.
 *
 * `aws-lambda-ric` is an optional dependency: it builds natively (cmake, g++, autotools), and
 * `npm ci` goes on without it where it cannot. These suites are then skipped with a note, unless
 * REQUIRE_LAMBDA_RUNTIME_CLIENT=1 (CI sets it) makes its absence a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LambdaRuntimeApi, type InvocationOutcome } from '../emulators/lambda-runtime-api';
import { CLIENT_SECRET } from '../support/emulator-env';
import { bundleEnv, FAST_ENV, type Harness, newConversation, startHarness } from '../support/harness';
import { sqsRecord } from '../support/sqs';

const ROOT = path.resolve(__dirname, '../..');
const RIC = path.join(ROOT, 'node_modules/aws-lambda-ric/bin/index.mjs');
const RIC_BUILT = existsSync(path.join(ROOT, 'node_modules/aws-lambda-ric/dist/rapid-client.node'));
const NODES: [string, string][] = [
  [`this machine's Node ${process.version}`, process.execPath],
  ["Node 22, Lambda's major", path.join(ROOT, 'node_modules/node/bin/node')],
];
const TOKEN = 'runtime-webhook-token-8c1d2e7f';

type Template = { Resources: Record<string, { Type: string; Properties: { Handler?: string } }> };
const template = (): Template =>
  JSON.parse(
    readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;

/** A function's zip, unpacked as Lambda lays it out in /var/task, and its handler name. */
function unpack(fn: string, logical: string): { taskRoot: string; handler: string } {
  const taskRoot = mkdtempSync(path.join(tmpdir(), `flagger-task-${fn}-`));
  const zip = path.join(ROOT, `.serverless/${fn}.zip`);
  if (!existsSync(zip)) throw new Error(`${zip} is missing: run \`npm run package\` (npm test does)`);
  const unzipped = spawnSync('python3', ['-m', 'zipfile', '-e', zip, taskRoot], { encoding: 'utf8' });
  if (unzipped.status !== 0) throw new Error(`unzip ${zip}: ${unzipped.stderr}`);
  const handler = template().Resources[logical]?.Properties.Handler;
  if (!handler) throw new Error(`no handler for ${logical} in the template`);
  return { taskRoot, handler };
}

interface Runtime {
  api: LambdaRuntimeApi;
  /** Epoch ms just before the runtime's process was started: the start of its init. */
  spawnedAt: number;
  output: () => string;
  stop(): Promise<void>;
}

let h: Harness;
const unpacked: string[] = [];

/** Starts the runtime client on `node` for one function, as Lambda starts an environment. */
async function startRuntime(
  node: string,
  fn: string,
  logical: string,
  env: Record<string, string>,
  handlerName?: string,
): Promise<Runtime> {
  const api = await LambdaRuntimeApi.start();
  const { taskRoot, handler } = unpack(fn, logical);
  unpacked.push(taskRoot);
  const spawnedAt = Date.now();
  const child: ChildProcess = spawn(node, [RIC, handlerName ?? handler], {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_LAMBDA_RUNTIME_API: api.address,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: handlerName ?? handler,
      AWS_LAMBDA_FUNCTION_NAME: `genesys-participant-flagger-test-${fn}`,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return {
    api,
    spawnedAt,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await api.close();
    },
  };
}

const lambdaEnv = (extra: Record<string, string> = {}): Record<string, string> => bundleEnv(h, extra);

const until = async (condition: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const responseOf = (outcome: InvocationOutcome): Record<string, unknown> => {
  if (outcome.kind !== 'response') throw new Error(`the runtime reported an error: ${JSON.stringify(outcome.body)}`);
  return outcome.body as Record<string, unknown>;
};

if (!RIC_BUILT && process.env.REQUIRE_LAMBDA_RUNTIME_CLIENT === '1') {
  test('the Lambda runtime interface client is built', () => {
    throw new Error(
      'node_modules/aws-lambda-ric was not built (it needs cmake, g++, autoconf, automake and libtool): ' +
        'the runtime suites cannot run',
    );
  });
}

(RIC_BUILT ? describe : describe.skip)('in the Lambda runtime interface client', () => {
  beforeAll(async () => {
    h = await startHarness();
    h.secrets.put('webhook/token', TOKEN);
  });
  afterAll(async () => {
    await h?.close();
    for (const dir of unpacked) rmSync(dir, { recursive: true, force: true });
  });

  describe.each(NODES)('on %s', (_label, node) => {
    test(
      'data action: initialised ahead of traffic, it has its token before the runtime asks for an event, ' +
        'and flags the first caller with one request',
      async () => {
        const before = h.genesys.arrivals.length;
        const runtime = await startRuntime(node, 'dataAction', 'DataActionLambdaFunction', lambdaEnv());
        try {
          await until(() => runtime.api.firstNextAt !== undefined);
          const init = h.genesys.arrivals.slice(before);
          // The prefetch ended inside init: the token request came before the first `next`.
          expect(init.map((r) => r.route)).toEqual(['token']);
          expect(init[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(runtime.api.firstNextAt ?? 0);
          await new Promise((resolve) => setTimeout(resolve, 300)); // idle, as a provisioned environment is

          const { conversationId, participantId } = newConversation(h.genesys);
          const sent = h.genesys.arrivals.length;
          const result = responseOf(
            await runtime.api.invoke({ conversationId, participantId, compliance_checked: true }),
          );
          expect(result).toMatchObject({
            status: 'UPDATED',
            updated: true,
            attempts: 1,
            httpStatus: 202,
            participantId,
          });
          expect(h.genesys.arrivals.slice(sent).map((r) => `${r.method} ${r.route}`)).toEqual([
            'PATCH patch-attributes',
          ]);
          expect(h.genesys.attributesOf(conversationId, participantId)).toEqual({ compliance_checked: 'true' });
          expect(runtime.output()).not.toContain(CLIENT_SECRET);
        } finally {
          await runtime.stop();
        }
      },
    );

    test(
      'data action: a token request that hangs during init ends with the init, abandoned; no init error, ' +
        'and the first caller is flagged',
      async () => {
        h.genesys.script('token', [{ hang: true }]);
        const before = h.genesys.arrivals.length;
        const runtime = await startRuntime(
          node,
          'dataAction',
          'DataActionLambdaFunction',
          lambdaEnv({ FLAG_INIT_PREFETCH_MS: '500' }),
        );
        try {
          await until(() => runtime.api.firstNextAt !== undefined);
          const firstNext = runtime.api.firstNextAt ?? 0;
          const hung = h.genesys.arrivals.slice(before).find((r) => r.route === 'token');
          // Bounded by FLAG_INIT_PREFETCH_MS (500 ms), not by the 1 s attempt timeout: the hung request
          // came first, and the init ended before that request's own timeout could have cut it.
          expect(hung?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(firstNext);
          expect(firstNext - (hung?.at ?? 0)).toBeLessThan(950);
          await until(() => hung?.abandonedAt !== undefined, 1000);
          // left running: the 1 s attempt timeout
          expect(hung?.abandonedAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(firstNext + 200);
          expect(runtime.api.initErrors).toEqual([]);

          const { conversationId, participantId } = newConversation(h.genesys);
          const sent = h.genesys.arrivals.length;
          const result = responseOf(
            await runtime.api.invoke({ conversationId, participantId, compliance_checked: true }),
          );
          expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
          expect(h.genesys.arrivals.slice(sent).map((r) => r.route)).toEqual(['token', 'patch-attributes']);
          expect(runtime.output()).toContain('prefetch incomplete');
        } finally {
          await runtime.stop();
        }
      },
    );

    test("data action after an on-demand init, its token endpoint hanging: from the process's start to the answer " +
      "within the function's deadline, at least 1 s inside the data action's timeout", async () => {
      // The data action as deployed: serverless.yml's deadline from timeouts.json, every other setting at its default.
      const timeouts = JSON.parse(readFileSync(path.join(ROOT, 'infra/contracts/timeouts.json'), 'utf8')) as {
        functionDeadlineMs: number;
        actionTimeoutSeconds: number;
      };
      const defaults = Object.fromEntries(Object.keys(FAST_ENV).map((name) => [name, '']));
      const env = lambdaEnv({
        ...defaults,
        FLAG_DEADLINE_MS: String(timeouts.functionDeadlineMs),
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      });
      h.genesys.script(
        'token',
        Array.from({ length: 50 }, () => ({ hang: true })),
      );
      const before = h.genesys.arrivals.length;
      const runtime = await startRuntime(node, 'dataAction', 'DataActionLambdaFunction', env);
      try {
        // On demand, a caller is waiting from the start: Lambda hands over its event as soon as the init ends.
        await until(() => runtime.api.firstNextAt !== undefined);
        const { conversationId, participantId } = newConversation(h.genesys);
        const outcome = await runtime.api.invoke({ conversationId, participantId, compliance_checked: true });
        const result = responseOf(outcome);
        expect(result).toMatchObject({ status: expect.stringMatching(/^(UPSTREAM_ERROR|TIMEOUT)$/), attempts: 0 });
        expect(h.genesys.arrivals.slice(before).every((r) => r.route === 'token')).toBe(true);
        const initToAnswerMs = outcome.at - runtime.spawnedAt;
        // The init's prefetch (3 s, its token request hanging) counted against the first caller:
        // init and answer together within the 8 s deadline (plus a loaded machine's process start
        // and lag), not 3 s + 8 s; and so at least 1 s inside the data action's 12 s.
        expect(initToAnswerMs).toBeLessThanOrEqual(timeouts.functionDeadlineMs + 1000);
        expect(initToAnswerMs).toBeLessThanOrEqual(timeouts.actionTimeoutSeconds * 1000 - 1000);
        expect(runtime.output()).toContain('on-demand init');
      } finally {
        h.genesys.clearFaults();
        await runtime.stop();
      }
    }, 20_000);

    test('data action: an invalid configuration does not fail the init; every caller gets CONFIG_ERROR', async () => {
      const env = lambdaEnv({ FLAG_DEADLINE_MS: 'soon' });
      const runtime = await startRuntime(node, 'dataAction', 'DataActionLambdaFunction', env);
      try {
        const result = responseOf(await runtime.api.invoke({ conversationId: 'x' }));
        expect(result).toMatchObject({
          status: 'CONFIG_ERROR',
          attempts: 0,
          message: expect.stringContaining('FLAG_DEADLINE_MS'),
        });
        expect(runtime.api.initErrors).toEqual([]);
      } finally {
        await runtime.stop();
      }
    });

    test('data action: the deadline comes from Lambda-Runtime-Deadline-Ms, less the safety margin', async () => {
      const runtime = await startRuntime(node, 'dataAction', 'DataActionLambdaFunction', lambdaEnv());
      try {
        const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 3_600_000 });
        const started = Date.now();
        const outcome = await runtime.api.invoke({ conversationId, participantId, compliance_checked: true }, 1500);
        const result = responseOf(outcome);
        // 1.5 s of Lambda time, 500 ms kept back: about 1 s of retries, not the 3 s FLAG_DEADLINE_MS.
        expect(result).toMatchObject({ status: 'PARTICIPANT_NOT_FOUND' });
        expect(Number(result.attempts)).toBeGreaterThan(1); // it kept retrying, then answered by its deadline
        expect(Number(result.elapsedMs)).toBeLessThanOrEqual(1000 + 50);
        expect(outcome.at - started).toBeLessThan(1500);
      } finally {
        await runtime.stop();
      }
    });

    test(
      'queue door: token before the first `next`; an SQS batch gets its batchItemFailures back, ' +
        'with one request for its one flag',
      async () => {
        const before = h.genesys.arrivals.length;
        const runtime = await startRuntime(node, 'events', 'EventsLambdaFunction', lambdaEnv());
        try {
          await until(() => runtime.api.firstNextAt !== undefined);
          const init = h.genesys.arrivals.slice(before);
          expect(init.map((r) => r.route)).toEqual(['token']);
          expect(init[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(runtime.api.firstNextAt ?? 0);
          const ok = newConversation(h.genesys);
          const sent = h.genesys.arrivals.length;
          const result = responseOf(
            await runtime.api.invoke(
              {
                Records: [
                  sqsRecord('ok', JSON.stringify({ ...ok, compliance_checked: true })),
                  sqsRecord('bad', 'not json'),
                ],
              },
              5000,
            ),
          );
          expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
          expect(h.genesys.arrivals.slice(sent).map((r) => r.route)).toEqual(['patch-attributes']);
        } finally {
          await runtime.stop();
        }
      },
    );

    test(
      'webhook: token and bearer secret before the first `next`; ' +
        'an API Gateway HTTP API event gets its HTTP answer with one request',
      async () => {
        const before = h.genesys.arrivals.length;
        const bearerReads = () =>
          h.secrets.requests.filter((r) => r.secretId === 'webhook/token' && r.operation === 'GetSecretValue');
        const bearerBefore = bearerReads().length;
        const runtime = await startRuntime(
          node,
          'webhook',
          'WebhookLambdaFunction',
          lambdaEnv({ WEBHOOK_TOKEN_SECRET_ID: 'webhook/token' }),
        );
        try {
          await until(() => runtime.api.firstNextAt !== undefined);
          const firstNext = runtime.api.firstNextAt ?? 0;
          const init = h.genesys.arrivals.slice(before);
          expect(init.map((r) => r.route)).toEqual(['token']);
          expect(init[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(firstNext);
          const bearerInit = bearerReads().slice(bearerBefore);
          expect(bearerInit).toHaveLength(1);
          expect(bearerInit[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(firstNext);
          const { conversationId, participantId } = newConversation(h.genesys);
          const sent = h.genesys.arrivals.length;
          const event = {
            version: '2.0',
            routeKey: 'POST /flag',
            rawPath: '/flag',
            rawQueryString: '',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            requestContext: {
              http: { method: 'POST', path: '/flag', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
              requestId: 'r',
              routeKey: 'POST /flag',
              stage: '$default',
            },
            body: JSON.stringify({ conversationId, participantId, compliance_checked: true }),
            isBase64Encoded: false,
          };
          const result = responseOf(await runtime.api.invoke(event));
          expect(result).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
          expect(JSON.parse(String(result.body))).toMatchObject({ status: 'UPDATED', participantId });
          expect(h.genesys.arrivals.slice(sent).map((r) => r.route)).toEqual(['patch-attributes']);
          expect(bearerReads().length).toBe(bearerBefore + 1);
          expect(runtime.output()).not.toContain(TOKEN);
        } finally {
          await runtime.stop();
        }
      },
    );

    test(
      'authorizer: the bearer secret read before the first `next`; allowed and refused without another read; ' +
        "a secret it cannot read is an error to the runtime (API Gateway's 500)",
      async () => {
        const bearerReads = () =>
          h.secrets.requests.filter((r) => r.secretId === 'webhook/token' && r.operation === 'GetSecretValue').length;
        const bearerBefore = bearerReads();
        const event = (authorization: string) => ({
          version: '2.0',
          type: 'REQUEST',
          routeKey: 'POST /flag',
          identitySource: [authorization],
          headers: { authorization },
        });
        const runtime = await startRuntime(
          node,
          'authorizer',
          'AuthorizerLambdaFunction',
          lambdaEnv({ WEBHOOK_TOKEN_SECRET_ID: 'webhook/token' }),
        );
        try {
          await until(() => runtime.api.firstNextAt !== undefined);
          expect(bearerReads()).toBe(bearerBefore + 1);
          expect(responseOf(await runtime.api.invoke(event(`Bearer ${TOKEN}`)))).toEqual({ isAuthorized: true });
          expect(responseOf(await runtime.api.invoke(event('Bearer a-wrong-token-0123456789')))).toEqual({
            isAuthorized: false,
          });
          expect(bearerReads()).toBe(bearerBefore + 1);
          expect(runtime.output()).not.toContain(TOKEN);
        } finally {
          await runtime.stop();
        }
        const unreadable = await startRuntime(
          node,
          'authorizer',
          'AuthorizerLambdaFunction',
          lambdaEnv({ WEBHOOK_TOKEN_SECRET_ID: 'no/such/secret' }),
        );
        try {
          const failed = await unreadable.api.invoke(event(`Bearer ${TOKEN}`));
          expect(failed).toMatchObject({
            kind: 'error',
            body: { errorType: 'Error', errorMessage: 'authentication unavailable' },
          });
        } finally {
          await unreadable.stop();
        }
      },
    );

    test('rotation: the four steps succeed, and a failing step is reported to the runtime as an error', async () => {
      h.secrets.put('genesys/token', '{}', { rotationEnabled: true });
      const version = h.secrets.beginRotation('genesys/token');
      const runtime = await startRuntime(
        node,
        'rotateToken',
        'RotateTokenLambdaFunction',
        lambdaEnv({ GENESYS_TOKEN_SECRET_ID: 'genesys/token' }),
      );
      try {
        for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
          const outcome = await runtime.api.invoke({ SecretId: 'genesys/token', ClientRequestToken: version, Step });
          expect({ Step, kind: outcome.kind }).toEqual({ Step, kind: 'response' });
        }
        expect(h.secrets.stagesOf('genesys/token')[version]).toContain('AWSCURRENT');
        const failed = await runtime.api.invoke({
          SecretId: 'genesys/token',
          ClientRequestToken: 'nope',
          Step: 'createSecret',
        });
        expect(failed).toMatchObject({
          kind: 'error',
          body: { errorType: 'Error', errorMessage: 'version nope is not a version of the token secret' },
        });
      } finally {
        await runtime.stop();
      }
    });

    test('a handler that cannot be loaded is an init error, reported to /init/error', async () => {
      const runtime = await startRuntime(
        node,
        'dataAction',
        'DataActionLambdaFunction',
        lambdaEnv(),
        'dist/functions/data-action.noSuchHandler',
      );
      try {
        await runtime.api.initError();
        expect(runtime.api.initErrors[0]).toMatchObject({
          body: { errorType: expect.stringMatching(/HandlerNotFound/) },
        });
        expect(runtime.api.firstNextAt).toBeUndefined();
      } finally {
        await runtime.stop();
      }
    });
  });
});

if (!RIC_BUILT && process.env.REQUIRE_LAMBDA_RUNTIME_CLIENT !== '1') {
  console.warn(
    'runtime suites skipped: node_modules/aws-lambda-ric is not built on this machine ' +
      '(optional: it needs cmake, g++, autoconf, automake and libtool)',
  );
}
