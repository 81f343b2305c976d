/**
 * The fault matrix's machinery: one row per scripted fault, over real sockets (the real axios
 * client against the Genesys emulator, the real AWS SDK client against the Secrets Manager
 * emulator). Each row asserts the status AND exactly what reached Genesys: token requests and API
 * requests (lookups and PATCHes) counted separately, plus Secrets Manager reads. Where a count
 * depends on timing (retries until the deadline), the API count must equal the `attempts` the
 * function reported, within bounds.
 *
 * Every row gets a Genesys emulator of its own, so rows run concurrently and counts stay exact.
 * The Secrets Manager emulator is shared within a suite (the AWS SDK finds it through one
 * environment variable); each row has a secret of its own, and the rows that script Secrets
 * Manager faults (one shared queue) run alone, first. Backoff jitter is pinned (random = 0.5),
 * which makes the bounds computable.
 *
 * The rows live in ./rows, one file per fault group; each *.test.ts here runs one group, and
 * doc.test.ts checks that docs/fault-matrix.md is their table.
 */
import { randomUUID } from 'node:crypto';
import { flagBatch } from '../../../lib/queue/batch';
import { ANY_BODY } from '../../../lib/config';
import type { ContainerDeps } from '../../../lib/container';
import { createFlagger, type Flagger } from '../../../lib/flagger';
import { createLogger } from '../../../lib/log';
import type { FlagResult, FlagStatus } from '../../../lib/core/flag-result';
import type { GenesysEmulator, Fault, RecordedRequest, Route } from '../../emulators/genesys';
import { SecretsManagerEmulator } from '../../emulators/secrets-manager';
import { credentialsSecret, genesysEnv, startGenesysEmulator, useSecretsEmulator } from '../../support/emulator-env';
import { fastEnv, invocation, newConversation } from '../../support/harness';
import { loggedWaits } from '../../support/logged-waits';

// ---------------------------------------------------------------------------------------------
// Counts and their bounds

export type Count = number | { min: number; max: number };

/**
 * With FAST_ENV (windows of 10, 20, 40, 40 ... ms for both schedules), every wait is at least half
 * its window: 5, 10, 20, 20 ... ms (after an overload signal half the window is fixed, while
 * polling 80 %; with random = 0.5 the waits are 7, 15, 30, 30 ... and 9, 18, 36, 36 ... ms). These
 * floors give one upper bound on attempts that holds for both schedules.
 */
export const shortestWait = (retry: number): number => Math.floor(0.5 * Math.min(40, 10 * 2 ** (retry - 1)));

/** The most attempts that can start within `ms` if every answer took no time at all. */
export function mostAttemptsWithin(ms: number): number {
  let elapsed = 0;
  let attempts = 1;
  for (let retry = 1; ; retry += 1) {
    elapsed += shortestWait(retry);
    if (elapsed >= ms) return attempts;
    attempts += 1;
  }
}

/** Retried until a deadline of `deadlineMs`: no retry starts with less than FLAG_MIN_ATTEMPT_MS (50) left. */
export const untilDeadline = (deadlineMs: number, min = 3): Count => ({
  min,
  max: mostAttemptsWithin(deadlineMs - 50),
});

export const within = (count: Count, n: number): boolean =>
  typeof count === 'number' ? n === count : n >= count.min && n <= count.max;
export const show = (count: Count, attempts = false): string =>
  typeof count === 'number' ? String(count) : `${count.min}–${count.max}${attempts ? ' (= attempts)' : ''}`;

// ---------------------------------------------------------------------------------------------
// Rows

export interface Ctx {
  genesys: GenesysEmulator;
  /** The Secrets Manager emulator all rows share: only `serial` rows script its faults. */
  secrets: SecretsManagerEmulator;
  secretId: string;
  /**
   * A flagger that has read no secret and holds no token yet; `deps` replace production ones (a row injecting a bug).
   */
  cold(extraEnv?: Record<string, string>, deps?: Partial<ContainerDeps>): Flagger;
  /** A flagger with its secret and token cached; counting starts after its warm-up flag. */
  warm(extraEnv?: Record<string, string>, deps?: Partial<ContainerDeps>): Promise<Flagger>;
  /** Counting (requests, secret reads, waits) starts again from here: what a row did before is its setup. */
  startCounting(): void;
  putSecret(value: string): void;
  conversation(participant?: { resolveAfterMs?: number }): { conversationId: string; participantId: string };
  script(route: Route, faults: Fault[], conversationId?: string): void;
  /** Numbers a row's check needs from its run (e.g. a time it scripted). */
  notes: Record<string, number>;
  /** Which kind of flagger the row built (checked against the row's `start`). */
  started?: 'warm' | 'cold';
}

export interface Observed {
  result: FlagResult;
  token: number;
  api: number;
  secretReads: number;
  /** Requests this row sent after its warm-up, in arrival order. */
  sent: RecordedRequest[];
  wallMs: number;
  notes: Record<string, number>;
  /** Error-level log lines of the row's flaggers: must stay empty, unless the row expects a bug to be logged. */
  errors: string[];
  /** The other log lines since counting started. */
  logs: string[];
  /** The waits the retry loop decided on after the warm-up, in order (its debug `attempt` lines). */
  waits: number[];
}

export interface Row {
  group: string;
  case: string;
  /** A warm flagger has its secret and a token cached; a cold one reads and requests them first. */
  start: 'warm' | 'cold';
  fault: string;
  status: FlagStatus;
  token: Count;
  api: Count;
  secretReads: Count;
  /** Scripts Secrets Manager faults: runs alone, before the others. */
  serial?: boolean;
  /** Puts its own secret (or none); the others get good credentials. */
  ownSecret?: boolean;
  /** The row injects a bug: its flag must log exactly one error line with this message (none otherwise). */
  errorLog?: string;
  run(ctx: Ctx): Promise<FlagResult>;
  check?(observed: Observed): void;
}

export const many = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);
export const patchStatuses = (o: Observed): string[] =>
  o.sent.filter((r) => r.route !== 'token').map((r) => `${r.method} ${r.status}`);
export const gapMs = (o: Observed, route: Route): number => {
  const [first, second] = o.sent.filter((r) => r.route === route);
  return (second?.at ?? Number.NaN) - (first?.at ?? Number.NaN);
};
export const NEVER = 3_600_000; // a participant that resolves in an hour: 404 for the whole test
/**
 * Timer lag allowed on `elapsedMs <= deadline` here: rows run six at a time in one process on a
 * small machine. (The exact bound is proven on a virtual clock in test/property/deadline.test.ts;
 * in Lambda the safety margin absorbs the lag.)
 */
export const LAG_MS = 250;

/** The common shape of a row that flags one known participant. */
export async function flagParticipant(
  ctx: Ctx,
  flagger: Flagger,
  faults: Fault[] = [],
  participant: { resolveAfterMs?: number } = {},
  remainingMs?: number,
): Promise<FlagResult> {
  const c = ctx.conversation(participant);
  if (faults.length > 0) ctx.script('patch-attributes', faults, c.conversationId);
  return flagger.flag({ ...c, compliance_checked: true }, invocation(remainingMs));
}

/**
 * The common shape of a row that flags by conversation only, so the participant is looked up first;
 * `faults` script that lookup.
 */
export async function lookUp(ctx: Ctx, flagger: Flagger, faults: Fault[]): Promise<FlagResult> {
  const c = ctx.conversation();
  ctx.script('get-conversation', faults, c.conversationId);
  return flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation());
}

// ---------------------------------------------------------------------------------------------
// The queue door: one batch per row, records flagged concurrently by lib/queue/batch.ts

export interface BatchCase {
  id: string;
  body: (ctx: Ctx) => string;
  status: FlagStatus;
  api: Count;
}

export interface BatchRow {
  case: string;
  fault: string;
  token: Count;
  env?: Record<string, string>;
  /** No secret at all for this batch. */
  noSecret?: boolean;
  prepare?(ctx: Ctx): void;
  records: BatchCase[];
}

export const envelope = (detail: unknown): string =>
  JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Identity Verified',
    source: 'idv.service',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });

/** A record for a fresh conversation whose PATCH gets `faults`. */
export const record = (
  id: string,
  status: FlagStatus,
  api: Count,
  faults: Fault[] = [],
  participant: { resolveAfterMs?: number } = {},
): BatchCase => ({
  id,
  status,
  api,
  body: (ctx) => {
    const c = ctx.conversation(participant);
    if (faults.length > 0) ctx.script('patch-attributes', faults, c.conversationId);
    return JSON.stringify({ ...c, compliance_checked: true });
  },
});

// ---------------------------------------------------------------------------------------------
// Running the rows

let secrets: SecretsManagerEmulator;
export const secretsEmulator = (): SecretsManagerEmulator => secrets;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
const rowOutcomes = new Map<Row, Outcome<Observed>>();
const batchOutcomes = new Map<BatchRow, Outcome<BatchObserved>>();

interface BatchObserved {
  failedIds: string[];
  statuses: Map<string, string>;
  apiByRecord: Map<string, number>;
  token: number;
  wallMs: number;
}

type Counts = {
  token: number;
  api: number;
  secretReads: number;
  sent: RecordedRequest[];
  errors: string[];
  logs: string[];
  waits: number[];
};

export async function withContext<T>(fn: (ctx: Ctx, counts: () => Counts) => Promise<T>): Promise<T> {
  const genesys = await startGenesysEmulator();
  const secretId = `fault-matrix/${randomUUID()}`;
  const env = { ...genesysEnv(genesys.url, secretId), LOG_LEVEL: 'debug' };
  let secretBaseline = 0;
  /** Error lines (a bug caught by the flagger's last line of defence would show here). */
  const errors: string[] = [];
  /** Debug lines since the warm-up, for the waits the retry loop decided on. */
  let lines: string[] = [];
  const reads = (): number =>
    secrets.requests.filter((r) => r.operation === 'GetSecretValue' && r.secretId === secretId).length;
  const build = (extraEnv: Record<string, string> = {}, deps: Partial<ContainerDeps> = {}): Flagger =>
    createFlagger(
      { ...env, ...fastEnv(extraEnv) },
      {
        logger: createLogger({
          level: 'debug',
          sink: (line) =>
            (JSON.parse(line) as { level: string }).level === 'error' ? errors.push(line) : lines.push(line),
        }),
        random: () => 0.5,
        ...deps,
      },
    );
  const ctx: Ctx = {
    genesys,
    secrets,
    secretId,
    cold: (extraEnv, deps) => {
      ctx.started = 'cold';
      return build(extraEnv, deps);
    },
    warm: async (extraEnv, deps) => {
      ctx.started = 'warm';
      const flagger = build(extraEnv, deps);
      const warmUp = await flagger.flag({ ...ctx.conversation(), risk_level: 'warm-up' }, invocation());
      if (warmUp.status !== 'UPDATED') throw new Error(`warm-up: ${warmUp.status} ${warmUp.message}`);
      ctx.startCounting();
      return flagger;
    },
    startCounting: () => {
      genesys.requests.length = 0;
      genesys.arrivals.length = 0;
      lines = [];
      secretBaseline = reads();
    },
    putSecret: (value) => void secrets.put(secretId, value),
    conversation: (participant = {}) => newConversation(genesys, participant),
    script: (route, faults, conversationId) => genesys.script(route, faults, conversationId),
    notes: {},
  };
  const counts = () => ({
    token: genesys.received('token'),
    api: genesys.received('get-conversation') + genesys.received('patch-attributes'),
    secretReads: reads() - secretBaseline,
    sent: [...genesys.arrivals],
    errors: [...errors],
    logs: [...lines],
    waits: loggedWaits(lines),
  });
  try {
    return await fn(ctx, counts);
  } finally {
    await genesys.close();
  }
}

async function runRow(row: Row): Promise<Observed> {
  return withContext(async (ctx, counts) => {
    if (!row.ownSecret) ctx.putSecret(credentialsSecret());
    const started = Date.now();
    const result = await row.run(ctx);
    const wallMs = Date.now() - started;
    if (ctx.started !== row.start)
      throw new Error(`the row is documented as ${row.start} but started ${ctx.started ?? 'no flagger'}`);
    return { result, wallMs, notes: ctx.notes, ...counts() };
  });
}

async function runBatch(row: BatchRow): Promise<BatchObserved> {
  return withContext(async (ctx, counts) => {
    if (!row.noSecret) ctx.putSecret(credentialsSecret());
    row.prepare?.(ctx);
    const lines: string[] = [];
    const flagger = createFlagger(
      { ...genesysEnv(ctx.genesys.url, ctx.secretId), ...fastEnv(row.env) },
      { logger: createLogger({ level: 'info', sink: (line) => lines.push(line) }), random: () => 0.5 },
    );
    const conversationOf = new Map<string, string>();
    const records = row.records.map((r) => {
      const body = r.body(ctx);
      const conversationId = /"conversationId":"([0-9a-f-]{36})"/.exec(body)?.[1];
      if (conversationId) conversationOf.set(r.id, conversationId);
      return { id: r.id, body };
    });
    const started = Date.now();
    const end = started + 15_000;
    const outcome = await flagBatch(records, flagger, {
      requestId: randomUUID(),
      remainingMs: () => end - Date.now(),
      concurrency: 5,
      bodyRules: ANY_BODY,
    });
    const wallMs = Date.now() - started;
    const statuses = new Map<string, string>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as { messageId?: string; status?: string };
      if (parsed.messageId && parsed.status) statuses.set(parsed.messageId, parsed.status);
    }
    const apiByRecord = new Map<string, number>();
    for (const r of row.records) {
      const conversationId = conversationOf.get(r.id);
      apiByRecord.set(
        r.id,
        conversationId
          ? ctx.genesys.received('get-conversation', conversationId) +
              ctx.genesys.received('patch-attributes', conversationId)
          : 0,
      );
    }
    return { failedIds: outcome.failedIds, statuses, apiByRecord, token: counts().token, wallMs };
  });
}

async function settle<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * The first run of a fault path in a process (an aborted request, a reset socket) costs tens of
 * milliseconds of lazy loading and compiling. Rows time their answers against the deadline, so
 * each suite runs those paths once before its rows, as a warm container would have; in Lambda
 * the safety margin absorbs the first time.
 */
async function warmFaultPaths(): Promise<void> {
  await withContext(async (ctx) => {
    ctx.putSecret(credentialsSecret());
    const flagger = await ctx.warm();
    await flagParticipant(ctx, flagger, [{ reset: true }, { status: 503 }]);
    await flagParticipant(ctx, flagger, [{ hang: true }], {}, 700);
  });
}

/**
 * Runs `rows` and `batchRows` once, before their tests (Secrets Manager rows alone, the rest six
 * at a time), and declares one test per row that checks what it observed.
 */
export function runMatrix(rows: Row[], batchRows: BatchRow[] = []): void {
  beforeAll(async () => {
    secrets = await SecretsManagerEmulator.start();
    useSecretsEmulator(secrets.url);
    await warmFaultPaths();
    // Rows that script Secrets Manager faults share its one queue: alone, one after the other.
    for (const row of rows.filter((r) => r.serial)) rowOutcomes.set(row, await settle(() => runRow(row)));
    // Everything else at once, a few at a time (each row has its own Genesys emulator).
    const rest: (Row | BatchRow)[] = [...batchRows, ...rows.filter((r) => !r.serial)];
    await inParallel(rest, 6, async (row) => {
      if ('records' in row) batchOutcomes.set(row, await settle(() => runBatch(row)));
      else rowOutcomes.set(row, await settle(() => runRow(row)));
    });
  }, 60_000);

  afterAll(async () => {
    await secrets.close();
  });

  function observed<T>(outcome: Outcome<T> | undefined): T {
    if (!outcome) throw new Error('the row did not run');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  // jest refuses an empty table: a suite declares only the kinds of rows it has.
  if (rows.length > 0)
    describe.each([...new Set(rows.map((r) => r.group))])('%s', (group) => {
      test.each(rows.filter((r) => r.group === group).map((r) => [r.case, r] as const))('%s', (_name, row) => {
        const o = observed(rowOutcomes.get(row));
        // Status and counts in one object, so that a failure shows all of them (and the message).
        expect({
          status: o.result.status,
          token: within(row.token, o.token) ? row.token : o.token,
          api: within(row.api, o.api) ? row.api : o.api,
          secretReads: within(row.secretReads, o.secretReads) ? row.secretReads : o.secretReads,
          message: o.result.message,
        }).toEqual({
          status: row.status,
          token: row.token,
          api: row.api,
          secretReads: row.secretReads,
          message: o.result.message,
        });
        // What the function reported is what Genesys saw, and no bug was caught on the way (but the one a row injects).
        expect(o.result.attempts).toBe(o.api);
        expect(o.errors.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(
          row.errorLog ? [row.errorLog] : [],
        );
        expect(o.result.updated).toBe(row.status === 'UPDATED');
        row.check?.(o);
      });
    });

  if (batchRows.length > 0)
    describe('The queue door (lib/queue/batch.ts)', () => {
      test.each(batchRows.map((r) => [r.case, r] as const))(
        '%s: every record not UPDATED is in failedIds, and only those',
        (_name, row) => {
          const o = observed(batchOutcomes.get(row));
          const expectedStatuses = Object.fromEntries(row.records.map((r) => [r.id, r.status]));
          expect(Object.fromEntries(o.statuses)).toEqual(expectedStatuses);
          expect([...o.failedIds].sort()).toEqual(
            row.records
              .filter((r) => r.status !== 'UPDATED')
              .map((r) => r.id)
              .sort(),
          );
          for (const r of row.records) {
            const api = o.apiByRecord.get(r.id) ?? -1;
            expect({ record: r.id, api: within(r.api, api) ? r.api : api }).toEqual({ record: r.id, api: r.api });
          }
          expect(within(row.token, o.token) ? row.token : o.token).toEqual(row.token);
          expect(o.wallMs).toBeLessThan(15_000);
        },
      );
    });
}

/** Checked in secret.test.ts after the rows (it scripts the shared Secrets Manager queue); described in the doc. */
export const HUNG_SECRET =
  'a hung GetSecretValue does not wedge the container: the SDK gives up on it after its request timeout, ' +
  'and the flag reads the secret again within its deadline';
