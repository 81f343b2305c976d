/**
 * `npm start [-- options] [event.json]`: runs a built Lambda bundle against local emulators.
 *
 *   npm start                          the data action on events/identity-verified.json
 *   npm start -- my-event.json         the data action on your event
 *   npm start -- --events [batch.json] the queue door on an SQS batch (events/sqs-batch.json)
 *   npm start -- --webhook             the HTTPS door on http://127.0.0.1:3000/flag (serverless-offline), with a
 *                                      curl to try
 *   npm start -- --token-per-container with any of the above: each function mints its own token (tokenMode=false)
 *
 * Emulator mode (the default, or forced with --emulators) starts the loopback Genesys Cloud and
 * Secrets Manager emulators and registers every conversation the event names, with a participant
 * that only resolves after about a second. It runs the stack's default, token mode: the built
 * rotation function first puts a token in the emulated token secret (the four steps Secrets Manager
 * runs), then the flagging function reads it and never sees the client credentials. Real mode: with
 * GENESYS_TOKEN_SECRET_ID or GENESYS_CREDENTIALS_SECRET_ID and AWS credentials set and no
 * --emulators, the data action runs once against Secrets Manager and Genesys Cloud on the event
 * file you give.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { GenesysEmulator, RecordedRequest } from '../test/emulators/genesys';
import type { SecretsManagerEmulator } from '../test/emulators/secrets-manager';
import { genesysEnv, SECRET_NAME, startEmulators, useSecretsEmulator } from '../test/support/emulator-env';
import { readTimeouts } from './contracts';

const ROOT = path.resolve(__dirname, '..');
/** The deployed Lambda's timeout (serverless.yml reads the same file), so a run here has its budget. */
const LAMBDA_TIMEOUT_MS = readTimeouts().lambdaTimeoutSeconds * 1000;
const RESOLVE_AFTER_MS = 1000;

type Handler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flag = (name: string): boolean => args.includes(name);
  const file = args.find((a) => !a.startsWith('--'));
  const secretId = process.env.GENESYS_TOKEN_SECRET_ID || process.env.GENESYS_CREDENTIALS_SECRET_ID;
  const real = !flag('--emulators') && Boolean(secretId);

  if (real) {
    if (!file || flag('--events') || flag('--webhook')) {
      console.error(
        'Real mode (GENESYS_TOKEN_SECRET_ID or GENESYS_CREDENTIALS_SECRET_ID is set) ' +
          'runs the data action on an event file: npm start -- my-event.json',
      );
      console.error('To use the local emulators instead, add --emulators. Check the setup first with npm run doctor.');
      return 2;
    }
    console.log(`Flagging against Genesys Cloud with secret ${secretId} ...`);
    return report(await invoke<Record<string, unknown>>('data-action', readJson(file)));
  }

  const local = await startLocal();
  if (flag('--token-per-container')) {
    console.log(
      '\nMode: a token per container (tokenMode=false): the function mints its own token with the client credentials.',
    );
  } else {
    await rotateToken(local);
  }
  try {
    if (flag('--webhook')) return await runWebhook(local);
    if (flag('--events')) return await runEvents(local, readJson(file ?? 'events/sqs-batch.json'));
    return await runDataAction(local, readJson(file ?? 'events/identity-verified.json'));
  } finally {
    await local.close();
  }
}

interface Local {
  genesys: GenesysEmulator;
  secrets: SecretsManagerEmulator;
  /** Registers the conversation an event names (if new) and returns its participant. */
  register(event: unknown): { conversationId: string; participantId: string } | undefined;
  watch(): void;
  close(): Promise<void>;
}

async function startLocal(): Promise<Local> {
  const { genesys, secrets, close } = await startEmulators();
  // The bundles run in this process (the webhook's serverless-offline inherits it): its environment is theirs.
  useSecretsEmulator(secrets.url);
  Object.assign(process.env, genesysEnv(genesys.url));

  const known = new Map<string, string>();
  console.log('Local emulators:');
  console.log(`  Genesys Cloud    ${genesys.url}`);
  console.log(`  Secrets Manager  ${secrets.url}   (secret "${SECRET_NAME}")`);
  return {
    genesys,
    secrets,
    register(event) {
      const ids = idsOf(event);
      if (!ids) return undefined;
      const conversationId = ids.conversationId;
      let participantId = known.get(conversationId);
      if (!participantId) {
        participantId = ids.participantId ?? randomUUID();
        known.set(conversationId, participantId);
        genesys.addConversation(conversationId, [
          { id: randomUUID(), purpose: 'ivr' },
          { id: participantId, purpose: ids.purpose ?? 'customer', resolveAfterMs: RESOLVE_AFTER_MS },
        ]);
        console.log(
          `  conversation ${short(conversationId)}: ` +
            `participant ${short(participantId)} resolves after ${RESOLVE_AFTER_MS} ms`,
        );
      }
      return { conversationId, participantId };
    },
    watch() {
      const started = Date.now();
      console.log('\nRequests the function sent to Genesys:');
      genesys.onRequest = (r) => console.log(`  ${String(r.at - started).padStart(5)} ms  ${describe(r)}`);
    },
    close,
  };
}

const TOKEN_SECRET = 'genesys/demo-token';

/**
 * The stack's default, token mode: what Secrets Manager does when it rotates the token secret (a
 * pending version, then the built rotation function's four steps), after which the flagging
 * functions read the token from that secret and the client credentials leave their environment,
 * as their roles cannot read them in the stack.
 */
async function rotateToken(local: Local): Promise<void> {
  local.secrets.put(TOKEN_SECRET, '{}', { rotation: { scheduleExpression: 'rate(4 hours)' } });
  console.log("\nMode: one token for the fleet (token mode, the stack's default).");
  console.log(`Token rotation (Secrets Manager runs it every 4 hours; secret "${TOKEN_SECRET}"):`);
  const started = Date.now();
  local.genesys.onRequest = (r) => console.log(`  ${String(r.at - started).padStart(5)} ms  ${describe(r)}`);
  // As in the stack, every function is told the token secret; the rotation rotates only that one.
  process.env.GENESYS_TOKEN_SECRET_ID = TOKEN_SECRET;
  const rotate = await load<(event: unknown) => Promise<void>>('rotate-token');
  const version = local.secrets.beginRotation(TOKEN_SECRET);
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
    await rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });
  }
  local.secrets.completeRotation(TOKEN_SECRET);
  local.genesys.onRequest = undefined;
  const stored = JSON.parse(local.secrets.valueAt(TOKEN_SECRET) ?? '{}') as { expiresAt?: string };
  console.log(`  the token secret's current version holds a token that expires ${stored.expiresAt ?? '(none)'}`);
  delete process.env.GENESYS_CREDENTIALS_SECRET_ID;
}

async function runDataAction(local: Local, event: unknown): Promise<number> {
  const ids = local.register(event);
  console.log(`\nEvent: ${JSON.stringify(event)}`);
  local.watch();
  const result = await invoke<Record<string, unknown>>('data-action', event);
  local.genesys.onRequest = undefined;
  if (ids)
    console.log(
      '\nParticipant attributes now in the emulator: ' +
        `${JSON.stringify(local.genesys.attributesOf(ids.conversationId, ids.participantId) ?? {})}`,
    );
  return report(result);
}

async function runEvents(local: Local, batch: unknown): Promise<number> {
  const records = (batch as { Records?: { messageId: string; body: string }[] }).Records ?? [];
  for (const record of records) {
    try {
      local.register(JSON.parse(record.body));
    } catch {
      // a malformed body stays malformed: the function reports it
    }
  }
  console.log(`\nSQS batch of ${records.length} record(s)`);
  local.watch();
  const result = await invoke<{ batchItemFailures: unknown[] }>('events', batch);
  local.genesys.onRequest = undefined;
  console.log(`\nReturned to SQS: ${JSON.stringify(result)}`);
  console.log(
    result.batchItemFailures.length === 0
      ? 'Every record was flagged: nothing to redeliver.'
      : 'The records above will be redelivered, then land in the DLQ.',
  );
  return result.batchItemFailures.length === 0 ? 0 : 1;
}

/**
 * The HTTPS door the way the Serverless ecosystem runs it locally: serverless-offline (under osls)
 * serving the built webhook function on API Gateway's HTTP API route, from serverless.offline.yml,
 * with the emulators' addresses in its environment.
 */
async function runWebhook(local: Local): Promise<number> {
  const token = randomBytes(18).toString('base64url');
  local.secrets.put('webhook/demo-token', token);
  const port = Number(process.env.PORT ?? 3000);
  const url = `http://127.0.0.1:${port}`;
  const offline = spawn(
    process.execPath,
    [require.resolve('osls/bin/serverless.js'), 'offline', 'start', '--config', 'serverless.offline.yml'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        WEBHOOK_TOKEN_SECRET_ID: 'webhook/demo-token',
        PORT: String(port),
        LAMBDA_PORT: String(port + 2),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Its own lines (one per request, and the function's log lines) pass through; the framework
  // writes its status lines, "Server ready" among them, to stderr.
  const listening = new Promise<boolean>((resolve) => {
    const pass = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
      to.write(chunk);
      if (chunk.toString().includes('Server ready')) resolve(true);
    };
    offline.stdout.on('data', pass(process.stdout));
    offline.stderr.on('data', pass(process.stderr));
    offline.once('exit', () => resolve(false));
  });
  if (!(await listening)) {
    console.error('serverless-offline stopped before it listened (is the port free? PORT= to change it)');
    return 1;
  }
  const sample = JSON.parse(readFileSync(path.join(ROOT, 'events/identity-verified.nested.json'), 'utf8')) as unknown;
  local.register(sample);
  console.log(
    `\nWebhook (serverless-offline, API Gateway HTTP API): POST ${url}/flag   (token in secret "webhook/demo-token")`,
  );
  console.log('\nTry it:\n');
  console.log(
    `curl -sS -X POST ${url}/flag \\\n  -H 'authorization: Bearer ${token}' \\\n` +
      `  -H 'content-type: application/json' \\\n  -d '${JSON.stringify(sample)}'\n`,
  );
  console.log(
    'Without the header you get 401; ' +
      'any other conversation id is PARTICIPANT_NOT_FOUND after the deadline. Ctrl+C stops.',
  );
  local.watch();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    offline.once('exit', () => resolve());
  });
  offline.kill('SIGTERM');
  return 0;
}

/**
 * Loaded only when needed: a bundle reads its configuration from the environment at load, and
 * prefetches the secret and a token there, as in a Lambda init.
 */
async function load<H>(name: string): Promise<H> {
  return ((await import(pathToFileURL(path.join(ROOT, `dist/functions/${name}.mjs`)).href)) as { handler: H }).handler;
}

async function invoke<R>(name: string, event: unknown): Promise<R> {
  const handler = await load<Handler<unknown, R>>(name);
  const deadline = Date.now() + LAMBDA_TIMEOUT_MS;
  const context = {
    awsRequestId: randomUUID(),
    functionName: `local-${name}`,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
  return handler(event, context);
}

function idsOf(event: unknown): { conversationId: string; participantId?: string; purpose?: string } | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  if (typeof e['detail-type'] === 'string') return idsOf(e.detail);
  if (typeof e.conversationId !== 'string') return undefined;
  return {
    conversationId: e.conversationId,
    ...(typeof e.participantId === 'string' && e.participantId ? { participantId: e.participantId } : {}),
    ...(typeof e.participantPurpose === 'string' && e.participantPurpose ? { purpose: e.participantPurpose } : {}),
  };
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(path.resolve(file), 'utf8')) as unknown;
}

/** 4f1c7c36-2d39-... -> 4f1c7c36… so that a request line fits a terminal. */
function short(text: string): string {
  return text.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/gi, '$1…');
}

function describe(r: RecordedRequest): string {
  const meaning =
    r.status === 202 ? 'attributes set' : r.status === 404 ? 'not resolved yet' : r.status === 200 ? 'ok' : '';
  return `${r.method.padEnd(5)} ${short(r.path)}  ->  ${r.status}${meaning ? ` (${meaning})` : ''}`;
}

function report(result: Record<string, unknown>): number {
  console.log('\nResult returned to the flow:');
  for (const [key, value] of Object.entries(result)) console.log(`  ${key.padEnd(14)} ${JSON.stringify(value)}`);
  return result.status === 'UPDATED' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
