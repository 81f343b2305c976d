/**
 * `npm start [-- event.json] [-- --emulators]`: runs the built data action bundle once.
 *
 * - Emulator mode (default; forced with --emulators): starts the loopback Genesys Cloud and
 *   Secrets Manager emulators, registers the event's conversation with a participant that only
 *   resolves after about a second, and shows every request the function makes and the status it returns.
 * - Real mode: with GENESYS_CREDENTIALS_SECRET_ID and AWS credentials set and no --emulators, runs
 *   against Secrets Manager and Genesys Cloud with the given event file.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GenesysEmulator, type RecordedRequest } from '../test/emulators/genesys';
import { SecretsManagerEmulator } from '../test/emulators/secrets-manager';

const BUNDLE = path.resolve(__dirname, '../dist/functions/data-action.js');
const DEFAULT_EVENT = path.resolve(__dirname, '../events/identity-verified.json');
const LAMBDA_TIMEOUT_MS = 10_000;
const RESOLVE_AFTER_MS = 1000;

type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const forceEmulators = args.includes('--emulators');
  const eventFile = args.find((a) => !a.startsWith('--'));
  const real = !forceEmulators && Boolean(process.env.GENESYS_CREDENTIALS_SECRET_ID);
  if (real && !eventFile) {
    console.error('Real mode (GENESYS_CREDENTIALS_SECRET_ID is set): pass an event file, e.g. npm start -- my-event.json');
    console.error('To use the local emulators instead: npm start -- --emulators');
    return 2;
  }
  const event = JSON.parse(readFileSync(eventFile ?? DEFAULT_EVENT, 'utf8')) as Record<string, unknown>;
  return real ? runReal(event) : runEmulated(event);
}

async function runReal(event: Record<string, unknown>): Promise<number> {
  console.log(`Flagging against Genesys Cloud with secret ${process.env.GENESYS_CREDENTIALS_SECRET_ID} ...`);
  const result = await invoke(event);
  return report(result);
}

async function runEmulated(event: Record<string, unknown>): Promise<number> {
  const genesys = await GenesysEmulator.start({ clients: { 'demo-client': 'demo-secret' } });
  const secrets = await SecretsManagerEmulator.start();
  try {
    secrets.put('genesys/demo', JSON.stringify({ clientId: 'demo-client', clientSecret: 'demo-secret', environment: 'mypurecloud.com' }));
    const conversationId = typeof event.conversationId === 'string' ? event.conversationId : randomUUID();
    const participantId = typeof event.participantId === 'string' && event.participantId ? event.participantId : randomUUID();
    genesys.addConversation(conversationId, [
      { id: randomUUID(), purpose: 'ivr' },
      { id: participantId, purpose: typeof event.participantPurpose === 'string' && event.participantPurpose ? event.participantPurpose : 'customer', resolveAfterMs: RESOLVE_AFTER_MS },
    ]);

    Object.assign(process.env, {
      GENESYS_CREDENTIALS_SECRET_ID: 'genesys/demo',
      GENESYS_API_BASE_URL: genesys.url,
      GENESYS_LOGIN_BASE_URL: genesys.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-only',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    console.log('Local emulators:');
    console.log(`  Genesys Cloud    ${genesys.url}   (participant ${participantId} resolves after ${RESOLVE_AFTER_MS} ms)`);
    console.log(`  Secrets Manager  ${secrets.url}   (secret "genesys/demo")`);
    console.log(`\nEvent (${Object.keys(event).length} fields): ${JSON.stringify(event)}\n`);
    console.log('Requests the function sent to Genesys:');
    const started = Date.now();
    genesys.onRequest = (r) => console.log(`  ${String(r.at - started).padStart(5)} ms  ${describe(r)}`);

    const result = await invoke(event);
    genesys.onRequest = undefined;
    const stored = genesys.attributesOf(conversationId, participantId);
    console.log(`\nParticipant attributes now in the emulator: ${JSON.stringify(stored ?? {})}`);
    return report(result);
  } finally {
    await Promise.all([genesys.close(), secrets.close()]);
  }
}

async function invoke(event: unknown): Promise<Record<string, unknown>> {
  // Loaded only now: the bundle reads its configuration from the environment at load, like Lambda.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(BUNDLE) as { handler: Handler };
  const deadline = Date.now() + LAMBDA_TIMEOUT_MS;
  return handler(event, {
    awsRequestId: randomUUID(),
    functionName: 'genesys-participant-flagger-local-dataAction',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

function describe(r: RecordedRequest): string {
  // Ids shortened so a line fits a terminal: 4f1c7c36-2d39-... -> 4f1c7c36…
  const shortPath = r.path.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/gi, '$1…');
  const what = `${r.method.padEnd(5)} ${shortPath}`;
  const meaning = r.status === 202 ? 'attributes set' : r.status === 404 ? 'participant not resolved yet' : r.status === 200 ? 'ok' : '';
  return `${what}  ->  ${r.status}${meaning ? ` (${meaning})` : ''}`;
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
