/**
 * Hostile upstream: every header, body field and size that Genesys, the login host or Secrets
 * Manager sends back is untrusted input. Each row plays one hostile or broken answer over real
 * sockets (the real axios client against the Genesys emulator, the real AWS SDK client against the
 * Secrets Manager emulator) and asserts the status and a bound on what was sent to Genesys and to
 * Secrets Manager.
 *
 * The retry schedule is the production one (backoff windows 100 ms to 1 s, poll windows 150 to
 * 560 ms), with a 1.5 s deadline: `attemptBound` allows 7 passes of the retry loop, whatever
 * upstream says. In every row here a pass sends at most one API request (no lookup finds a
 * participant, or none is needed) and one token request (the secret never changes), so 7 of each.
 * Before the bound existed, a 429 with `Retry-After: 0` drew hundreds of requests in that time.
 */
import { randomUUID } from 'node:crypto';
import { flagBatch, batchRecords } from '../../lib/queue/batch';
import { ANY_BODY } from '../../lib/config';
import { createFlagger, type Flagger } from '../../lib/flagger';
import { parseGrant } from '../../lib/genesys/oauth-tokens';
import { createLogger } from '../../lib/log';
import type { FlagResult, FlagStatus } from '../../lib/core/flag-result';
import { attemptBound } from '../../lib/core/backoff';
import { createWebhook, webhookRequestOf } from '../../lib/http/flag-endpoint';
import type { GenesysEmulator, Fault, Route } from '../emulators/genesys';
import { SecretsManagerEmulator, type SecretsFault } from '../emulators/secrets-manager';
import { credentialsSecret, genesysEnv, startGenesysEmulator, useSecretsEmulator } from '../support/emulator-env';
import { invocation, newConversation } from '../support/harness';
import { loggedWaits } from '../support/logged-waits';
import { sensitive } from '../../lib/sensitive';

const DEADLINE_MS = 1500;
const POLICY = { backoff: { baseMs: 100, capMs: 1000 }, poll: { baseMs: 150, capMs: 560 }, minAttemptMs: 50 };
const PASSES = attemptBound(POLICY, DEADLINE_MS);
/**
 * Each pass: one API request (one more only in the pass where a lookup finds the participant,
 * which no row here reaches before its fault).
 */
const MAX_API = PASSES;
/** Each pass: one token request (two only when the login host refuses the client and the secret changed). */
const MAX_TOKEN = PASSES;
/** The longest log line any row may write: upstream strings must not grow them. */
const MAX_LOG_LINE = 2000;
/** The longest `message` a flow may be handed. */
const MAX_MESSAGE = 300;

const ENV = {
  FLAG_DEADLINE_MS: String(DEADLINE_MS),
  FLAG_ATTEMPT_TIMEOUT_MS: '1000',
  // No row here prefetches; the default (3 s) would not leave this deadline an attempt.
  FLAG_INIT_PREFETCH_MS: '0',
  // A failed secret read is remembered this long: rows that send several flags read it once.
  SECRET_MIN_REFRESH_INTERVAL_MS: '60000',
  LOG_LEVEL: 'debug',
};

type Bound = number | { max: number; min?: number };
const within = (bound: Bound, n: number): boolean =>
  typeof bound === 'number' ? n === bound : n <= bound.max && n >= (bound.min ?? 0);

interface Ctx {
  genesys: GenesysEmulator;
  secretId: string;
  flagger(extraEnv?: Record<string, string>): Flagger;
  /** A flagger with the secret read and a token cached; counting starts after this. */
  warm(extraEnv?: Record<string, string>): Promise<Flagger>;
  conversation(resolveAfterMs?: number): { conversationId: string; participantId: string };
  script(route: Route, faults: Fault[], conversationId?: string): void;
  /** Counting starts again from here. */
  resetCounts(): void;
  /** Numbers a row's check needs from its run. */
  notes: Record<string, number>;
}

interface Row {
  name: string;
  status: FlagStatus;
  api: Bound;
  token: Bound;
  secretReads: Bound;
  /** Scripts the shared Secrets Manager emulator: runs alone. */
  serial?: boolean;
  /** The credentials secret the row starts with (default: good credentials). */
  secret?: string | null;
  /** Returns every result of the row; all must have `status`. */
  run(ctx: Ctx): Promise<FlagResult[]>;
  check?(observed: Observed): void;
}

interface Observed {
  results: FlagResult[];
  api: number;
  token: number;
  secretReads: number;
  logs: string[];
  wallMs: number;
  paths: string[];
  notes: Record<string, number>;
}

const many = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);

/** One flag of a known participant whose PATCH gets `faults` (then behaves). */
async function flagWith(
  ctx: Ctx,
  flagger: Flagger,
  faults: Fault[] = [],
  resolveAfterMs?: number,
): Promise<FlagResult[]> {
  const c = ctx.conversation(resolveAfterMs);
  if (faults.length > 0) ctx.script('patch-attributes', faults, c.conversationId);
  return [await flagger.flag({ ...c, compliance_checked: true }, invocation())];
}

/** One flag by conversation only, whose lookup (GET) always answers `body`. */
async function lookupWith(ctx: Ctx, body: string): Promise<FlagResult[]> {
  const flagger = await ctx.warm();
  const c = ctx.conversation();
  ctx.script('get-conversation', many(100, { status: 200, body }), c.conversationId);
  return [await flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation())];
}

const conversationWith = (id: unknown): string =>
  JSON.stringify({
    id: randomUUID(),
    participants: [
      { id: randomUUID(), purpose: 'ivr' },
      { id, purpose: 'customer' },
    ],
  });
const noPatch = (o: Observed): void => expect(o.paths.filter((p) => p.startsWith('PATCH'))).toEqual([]);
const NEVER = 3_600_000;

const retryAfter = (value: string): Fault[] => many(400, { status: 429, retryAfter: value });
const pastDate = new Date(Date.now() - 3_600_000).toUTCString();
const farFuture = new Date(Date.now() + 30 * 86_400_000).toUTCString();

const ROWS: Row[] = [
  // ----- Retry-After on the API: it may only lengthen a wait
  ...(
    [
      ['0', 'Retry-After: 0'],
      ['-1', 'Retry-After: -1 (negative)'],
      ['1.5', 'Retry-After: 1.5 (fractional)'],
      [pastDate, 'Retry-After: an HTTP date in the past'],
      ['', 'Retry-After: empty'],
      ['soon', 'Retry-After: not a number'],
      ['x'.repeat(4000), 'Retry-After: 4,000 characters'],
    ] as const
  ).map(
    ([value, name]): Row => ({
      name: `${name}, on every PATCH`,
      status: 'RATE_LIMITED',
      api: { min: 3, max: MAX_API },
      token: 0,
      secretReads: 0,
      run: async (ctx) => flagWith(ctx, await ctx.warm(), retryAfter(value)),
    }),
  ),
  {
    name: 'Retry-After: 1 is waited: a second attempt, then the next wait would cross the deadline',
    status: 'RATE_LIMITED',
    api: 2,
    token: 0,
    secretReads: 0,
    run: async (ctx) => flagWith(ctx, await ctx.warm(), retryAfter('1')),
    // The waits it decided on (not the wall time, which a loaded machine only lengthens): each one
    // at least the second the answer asked for.
    check: (o) => {
      const waits = loggedWaits(o.logs);
      expect(waits.length).toBeGreaterThan(0);
      for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(1000);
    },
  },
  ...(
    [
      [farFuture, 'Retry-After: a date a month ahead'],
      ['99999999999999999999', 'Retry-After: 20 digits'],
    ] as const
  ).map(
    ([value, name]): Row => ({
      name: `${name}: ends at once`,
      status: 'RATE_LIMITED',
      api: 1,
      token: 0,
      secretReads: 0,
      run: async (ctx) => flagWith(ctx, await ctx.warm(), retryAfter(value)),
      check: (o) => expect(o.wallMs).toBeLessThan(500),
    }),
  ),
  ...(
    [
      ['0', 'Retry-After: 0'],
      ['-1', 'Retry-After: -1 (negative)'],
      ['0.25', 'Retry-After: 0.25 (fractional)'],
      [pastDate, 'Retry-After: an HTTP date in the past'],
      ['x'.repeat(4000), 'Retry-After: 4,000 characters'],
    ] as const
  ).map(
    ([value, name]): Row => ({
      name: `${name}, on every token request`,
      status: 'RATE_LIMITED',
      api: 0,
      token: { min: 3, max: MAX_TOKEN },
      secretReads: 1,
      run: async (ctx) => {
        ctx.script('token', many(400, { status: 429, retryAfter: value }));
        return flagWith(ctx, ctx.flagger());
      },
    }),
  ),
  {
    name: 'Retry-After: 20 digits on the token request: ends at once',
    status: 'RATE_LIMITED',
    api: 0,
    token: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(400, { status: 429, retryAfter: '99999999999999999999' }));
      return flagWith(ctx, ctx.flagger());
    },
    check: (o) => expect(o.wallMs).toBeLessThan(500),
  },
  {
    name: '503 with Retry-After: 0 on every PATCH: the backoff schedule, not zero',
    status: 'UPSTREAM_ERROR',
    api: { min: 3, max: MAX_API },
    token: 0,
    secretReads: 0,
    run: async (ctx) => flagWith(ctx, await ctx.warm(), many(400, { status: 503, retryAfter: '0' })),
  },

  // ----- ids from a lookup: validated before they reach a URL, never echoed
  ...(
    [
      ['..', '`..`'],
      ['.', '`.`'],
      ['a'.repeat(5000), 'of 5,000 characters'],
      ['b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36/../../x', 'with a path after a UUID'],
      [42, 'that is a number'],
      [null, 'that is null'],
    ] as const
  ).map(
    ([id, name]): Row => ({
      name: `lookup names the customer with an id ${name}`,
      status: 'UPSTREAM_ERROR',
      api: { min: 2, max: MAX_API },
      token: 0,
      secretReads: 0,
      run: (ctx) => lookupWith(ctx, conversationWith(id)),
      check: (o) => {
        noPatch(o);
        expect(o.results[0]?.participantId).toBe('');
        expect(o.results[0]?.message).toBe('Genesys listed the participant with an id that is not a UUID');
      },
    }),
  ),
  {
    name: 'lookup answers 200 with something that is not a conversation',
    status: 'UPSTREAM_ERROR',
    api: { min: 2, max: MAX_API },
    token: 0,
    secretReads: 0,
    run: (ctx) => lookupWith(ctx, JSON.stringify({ participants: 'everyone' })),
    check: noPatch,
  },
  {
    name: 'lookup answers 200 with a 2 MiB conversation: cut at 1 MiB, an upstream fault',
    status: 'UPSTREAM_ERROR',
    api: { min: 2, max: MAX_API },
    token: 0,
    secretReads: 0,
    run: (ctx) =>
      lookupWith(
        ctx,
        JSON.stringify({
          participants: [{ id: randomUUID(), purpose: 'customer', padding: 'x'.repeat(2 * 1024 * 1024) }],
        }),
      ),
    check: (o) => {
      noPatch(o);
      expect(o.results[0]?.message).toBe('the conversation reply is larger than 1048576 bytes');
    },
  },

  // ----- sizes: a 2xx is success whatever its body
  {
    name: 'PATCH 202 with a 2 MiB body: success, sent once',
    status: 'UPDATED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) => flagWith(ctx, await ctx.warm(), [{ status: 202, body: 'x'.repeat(2 * 1024 * 1024) }]),
  },
  {
    name: 'PATCH 202 with a body that never ends: success, sent once, without waiting for the end',
    status: 'UPDATED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) => flagWith(ctx, await ctx.warm(), [{ endlessBody: 202 }]),
    check: (o) => expect(o.wallMs).toBeLessThan(900),
  },
  {
    name:
      'PATCH 202 with a chunked body that never sends a byte, 10 flags: each a success, sent once, ' +
      'its connection closed at once',
    status: 'UPDATED',
    api: 10,
    token: 0,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const from = ctx.genesys.arrivals.length;
      const results: FlagResult[] = [];
      for (let i = 0; i < 10; i += 1) results.push(...(await flagWith(ctx, flagger, [{ silentBody: 202 }])));
      // The emulator never ends these answers: only the client can have closed their connections.
      const silent = ctx.genesys.arrivals.slice(from).filter((r) => r.route === 'patch-attributes');
      const end = Date.now() + 2000;
      while (silent.some((r) => r.abandonedAt === undefined) && Date.now() < end)
        await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.notes.answers = silent.length;
      ctx.notes.stillOpen = silent.filter((r) => r.abandonedAt === undefined).length;
      return results;
    },
    check: (o) =>
      expect({ answers: o.notes.answers, stillOpen: o.notes.stillOpen }).toEqual({ answers: 10, stillOpen: 0 }),
  },
  {
    name:
      'PATCH 202 with a small body that came whole, 10 flags back to back: ' +
      'the kept-alive connections serve them (at most 2 new ones)',
    status: 'UPDATED',
    api: 10,
    token: 0,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const before = ctx.genesys.connectionsOpened;
      const results: FlagResult[] = [];
      for (let i = 0; i < 10; i += 1)
        results.push(
          ...(await flagWith(ctx, flagger, [{ status: 202, body: '{"attributes":{"compliance_checked":"true"}}' }])),
        );
      ctx.notes.opened = ctx.genesys.connectionsOpened - before;
      return results;
    },
    // A connection goes back to the pool when its body has ended, a moment after the flag has its
    // answer: the next flag, sent at once, may open a second one; never one per flag.
    check: (o) => expect(o.notes.opened).toBeLessThanOrEqual(2),
  },
  {
    name: '503 with a 2 MiB error body on every PATCH',
    status: 'UPSTREAM_ERROR',
    api: { min: 3, max: MAX_API },
    token: 0,
    secretReads: 0,
    run: async (ctx) =>
      flagWith(ctx, await ctx.warm(), many(400, { status: 503, body: `{"code":"${'x'.repeat(2 * 1024 * 1024)}"}` })),
  },

  // ----- strings: codes and context ids are short tokens or dropped
  {
    name: 'error code and contextId of 5,000 characters',
    status: 'REJECTED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) =>
      flagWith(ctx, await ctx.warm(), [
        {
          status: 400,
          body: JSON.stringify({ code: 'c'.repeat(5000), contextId: 'd'.repeat(5000), message: 'm'.repeat(5000) }),
        },
      ]),
    check: (o) => {
      expect(o.results[0]?.message).toBe('Genesys rejected the request (400)');
      expect(o.results[0]?.correlationId).toMatch(/^[0-9a-f-]{36}$/); // the emulator's ININ-Correlation-Id
    },
  },
  {
    name: 'error code with markup and a contextId with a line break',
    status: 'REJECTED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) =>
      flagWith(ctx, await ctx.warm(), [
        { status: 409, body: JSON.stringify({ code: '<script>alert(1)</script>', contextId: 'ok\nforged: line' }) },
      ]),
    check: (o) => {
      expect(o.results[0]?.message).toBe('Genesys rejected the request (409)');
      expect(o.logs.join('\n')).not.toContain('<script>');
      expect(o.logs.join('\n')).not.toContain('forged');
    },
  },
  {
    name: 'ININ-Correlation-Id of 5,000 characters',
    status: 'REJECTED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) =>
      flagWith(ctx, await ctx.warm(), [
        { status: 400, body: '', headers: { 'inin-correlation-id': 'z'.repeat(5000) } },
      ]),
    check: (o) => expect(o.results[0]?.correlationId).not.toContain('zzz'),
  },
  {
    name: 'a valid code and contextId are kept',
    status: 'REJECTED',
    api: 1,
    token: 0,
    secretReads: 0,
    run: async (ctx) =>
      flagWith(ctx, await ctx.warm(), [
        { status: 400, body: JSON.stringify({ code: 'invalid.value', contextId: 'ctx-1234_abc.9' }) },
      ]),
    check: (o) =>
      expect(o.results[0]).toMatchObject({
        message: 'Genesys rejected the request (400 invalid.value)',
        correlationId: 'ctx-1234_abc.9',
      }),
  },

  // ----- token replies
  ...(
    [
      ['not json{', 'not JSON'],
      [JSON.stringify({ access_token: 'has space', expires_in: 86400 }), 'an access_token with a space'],
      [JSON.stringify({ access_token: 'line\nbreak', expires_in: 86400 }), 'an access_token with a line break'],
      [JSON.stringify({ access_token: 't'.repeat(10_000), expires_in: 86400 }), 'an access_token of 10,000 characters'],
      [JSON.stringify({ access_token: 12345, expires_in: 86400 }), 'an access_token that is a number'],
      [JSON.stringify({ expires_in: 86400 }), 'no access_token'],
      [`{"access_token":"${'a'.repeat(100 * 1024)}"}`, 'a reply of 100 KiB'],
    ] as const
  ).map(
    ([body, name]): Row => ({
      name: `token reply 200 with ${name}, every time`,
      status: 'UPSTREAM_ERROR',
      api: 0,
      token: { min: 2, max: MAX_TOKEN },
      secretReads: 1,
      run: async (ctx) => {
        ctx.script('token', many(400, { status: 200, body }));
        return flagWith(ctx, ctx.flagger());
      },
      check: (o) => expect(o.results[0]?.message).toBe('token reply had no usable access_token'),
    }),
  ),
  ...(
    [
      [{ expires_in: undefined }, 'absent'],
      [{ expires_in: 0 }, '0'],
      [{ expires_in: -5 }, 'negative'],
      [{ expires_in: 1e308 }, 'huge'],
      [{ expires_in: '86400' }, 'a string of digits'],
      [{ expires_in: 'forever' }, 'not a number'],
    ] as const
  ).map(
    ([grant, name]): Row => ({
      name: `token reply with expires_in ${name}: the token is used and cached (3 flags, 1 token request)`,
      status: 'UPDATED',
      api: 3,
      token: 1,
      secretReads: 1,
      run: async (ctx) => {
        ctx.script('token', [{ grant }]);
        const flagger = ctx.flagger();
        return [
          ...(await flagWith(ctx, flagger)),
          ...(await flagWith(ctx, flagger)),
          ...(await flagWith(ctx, flagger)),
        ];
      },
    }),
  ),

  // ----- the credentials secret, in every state: read at most once, however many flags
  ...(
    [
      [null, 'missing', 'CONFIG_ERROR', 'ResourceNotFoundException'],
      ['not json', 'not JSON', 'CONFIG_ERROR', 'not a JSON object'],
      [credentialsSecret({ clientSecret: undefined }), 'lacking clientSecret', 'CONFIG_ERROR', 'lacks clientSecret'],
      [
        credentialsSecret({ environment: 'evil.example' }),
        'naming an unknown environment',
        'CONFIG_ERROR',
        'unknown Genesys environment',
      ],
    ] as const
  ).map(
    ([secret, name, status, reason]): Row => ({
      name: `credentials secret ${name}: 5 flags, 1 read, nothing sent to Genesys`,
      status,
      api: 0,
      token: 0,
      secretReads: 1,
      secret,
      run: async (ctx) => {
        const flagger = ctx.flagger({ GENESYS_LOGIN_BASE_URL: '' });
        const results: FlagResult[] = [];
        for (let i = 0; i < 5; i += 1) results.push(...(await flagWith(ctx, flagger)));
        return results;
      },
      check: (o) => expect(o.results[0]?.message).toContain(reason),
    }),
  ),
  ...(
    [
      [{ error: 'AccessDeniedException' }, 'access denied', 'CONFIG_ERROR'],
      [{ error: 'DecryptionFailure' }, 'not decryptable', 'CONFIG_ERROR'],
      [{ binary: true }, 'binary (no SecretString)', 'CONFIG_ERROR'],
      [{ error: 'ThrottlingException' }, 'throttled', 'UPSTREAM_ERROR'],
      [{ error: 'InternalServiceError' }, 'failing (500)', 'UPSTREAM_ERROR'],
      [{ hang: true }, 'hanging', 'UPSTREAM_ERROR'],
      [{ error: `Hostile${'X'.repeat(5000)}` }, 'failing with a 5,000-character error type', 'UPSTREAM_ERROR'],
    ] as [SecretsFault, string, FlagStatus][]
  ).map(
    ([fault, name, status]): Row => ({
      name: `Secrets Manager ${name}: 5 flags, 1 read, each answered at once`,
      status,
      api: 0,
      token: 0,
      secretReads: 1,
      serial: true,
      run: async (ctx) => {
        const flagger = ctx.flagger();
        secretsEmulator.script([fault]);
        const results: FlagResult[] = [];
        for (let i = 0; i < 5; i += 1) results.push(...(await flagWith(ctx, flagger)));
        return results;
      },
      check: (o) => {
        // The first flag waits for the read (the hang: the SDK's request timeout); the others are
        // answered from the cache.
        expect(o.results.slice(1).every((r) => r.elapsedMs < 100)).toBe(true);
        if (name.includes('error type'))
          expect(o.results[0]?.message).toBe('Secrets Manager GetSecretValue failed: UnknownError');
      },
    }),
  ),
];

// ---------------------------------------------------------------------------------------------
// Running the rows: a Genesys emulator per row (exact counts, rows in parallel); one Secrets
// Manager emulator for all (the SDK finds it through one variable), a secret per row, and the rows
// that script its faults alone, first.

let secretsEmulator: SecretsManagerEmulator;
const outcomes = new Map<Row, Observed | Error>();

async function runRow(row: Row): Promise<Observed> {
  const genesys = await startGenesysEmulator();
  const secretId = `hostile/${randomUUID()}`;
  if (row.secret !== null) secretsEmulator.put(secretId, row.secret ?? credentialsSecret());
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  let from = { api: 0, token: 0, secret: 0, arrivals: 0 };
  const counts = () => ({
    api: genesys.arrivals.filter((r) => r.route === 'get-conversation' || r.route === 'patch-attributes').length,
    token: genesys.arrivals.filter((r) => r.route === 'token').length,
    secret: secretsEmulator.requests.filter((r) => r.secretId === secretId && r.operation === 'GetSecretValue').length,
    arrivals: genesys.arrivals.length,
  });
  const flagger = (extraEnv: Record<string, string> = {}): Flagger =>
    createFlagger({ ...ENV, ...genesysEnv(genesys.url, secretId), ...extraEnv }, { logger });
  const ctx: Ctx = {
    genesys,
    secretId,
    flagger,
    warm: async (extraEnv) => {
      const warmed = flagger(extraEnv);
      const c = newConversation(genesys);
      const result = await warmed.flag({ ...c, risk_level: 'warm-up' }, invocation());
      if (result.status !== 'UPDATED') throw new Error(`warm-up failed: ${result.status} ${result.message}`);
      ctx.resetCounts();
      return warmed;
    },
    conversation: (resolveAfterMs) => newConversation(genesys, resolveAfterMs === undefined ? {} : { resolveAfterMs }),
    script: (route, faults, conversationId) => genesys.script(route, faults, conversationId),
    resetCounts: () => {
      from = counts();
    },
    notes: {},
  };
  const started = Date.now();
  try {
    const results = await row.run(ctx);
    const wallMs = Date.now() - started;
    const now = counts();
    // Every token this emulator issued must be absent from the row's log lines.
    if (genesys.issuedTokens().some((t) => logs.some((line) => line.includes(t))))
      throw new Error('a token reached the log');
    return {
      results,
      wallMs,
      logs,
      api: now.api - from.api,
      token: now.token - from.token,
      secretReads: now.secret - from.secret,
      paths: genesys.arrivals
        .slice(from.arrivals)
        .filter((r) => r.route !== 'token')
        .map((r) => `${r.method} ${r.path}`),
      notes: ctx.notes,
    };
  } finally {
    await genesys.close();
  }
}

async function settle(row: Row): Promise<void> {
  try {
    outcomes.set(row, await runRow(row));
  } catch (error) {
    outcomes.set(row, error instanceof Error ? error : new Error(String(error)));
  }
}

beforeAll(async () => {
  secretsEmulator = await SecretsManagerEmulator.start();
  useSecretsEmulator(secretsEmulator.url);
  for (const row of ROWS.filter((r) => r.serial)) await settle(row);
  const parallel = ROWS.filter((r) => !r.serial);
  for (let i = 0; i < parallel.length; i += 6) await Promise.all(parallel.slice(i, i + 6).map(settle));
}, 120_000);

afterAll(async () => {
  await secretsEmulator.close();
});

test('the bound these rows are held to follows from the schedule and the deadline', () => {
  expect({ PASSES, MAX_API, MAX_TOKEN }).toEqual({ PASSES: 7, MAX_API: 7, MAX_TOKEN: 7 });
});

test.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
  const o = outcomes.get(row);
  if (!o) throw new Error('the row did not run');
  if (o instanceof Error) throw o;
  expect({
    statuses: [...new Set(o.results.map((r) => r.status))],
    api: within(row.api, o.api) ? row.api : o.api,
    token: within(row.token, o.token) ? row.token : o.token,
    secretReads: within(row.secretReads, o.secretReads) ? row.secretReads : o.secretReads,
  }).toEqual({ statuses: [row.status], api: row.api, token: row.token, secretReads: row.secretReads });
  for (const result of o.results) {
    expect(result.elapsedMs).toBeLessThanOrEqual(DEADLINE_MS + 50);
    expect(result.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(result.correlationId.length).toBeLessThanOrEqual(64);
  }
  // Only UUIDs in the paths the function requested.
  for (const path of o.paths)
    expect(path).toMatch(
      /^(GET|PATCH) \/api\/v2\/conversations\/[0-9a-f-]{36}(\/participants\/[0-9a-f-]{36}\/attributes)?$/,
    );
  expect(Math.max(0, ...o.logs.map((line) => line.length))).toBeLessThanOrEqual(MAX_LOG_LINE);
  row.check?.(o);
});

test('parseGrant cuts a lifetime beyond 48 h to 48 h, and refuses what is not a bearer token', () => {
  expect(parseGrant(JSON.stringify({ access_token: 'abc-DEF_123.~+/=', expires_in: 1e308 }))).toEqual({
    accessToken: sensitive('abc-DEF_123.~+/='),
    expiresInSeconds: 172_800,
  });
  expect(parseGrant(JSON.stringify({ access_token: 'abc', expires_in: 3600 }))).toEqual({
    accessToken: sensitive('abc'),
    expiresInSeconds: 3600,
  });
  for (const token of ['', 'a b', 'a\u00e9', 'a"b', 'a,b', '=abc'])
    expect(parseGrant(JSON.stringify({ access_token: token }))).toBeUndefined();
});

// ---------------------------------------------------------------------------------------------
// The webhook's own secret: no state of it lets unauthenticated requests drive Secrets Manager

describe('the webhook token secret, in every state', () => {
  const request = (authorization?: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ conversationId: randomUUID(), compliance_checked: true }),
    isBase64Encoded: false,
  });
  const reads = (secretId: string) =>
    secretsEmulator.requests.filter((r) => r.secretId === secretId && r.operation === 'GetSecretValue').length;

  test.each([
    ['missing', null, undefined, 503],
    ['shorter than 16 characters', 'short', undefined, 503],
    ['access denied', 'a-good-long-webhook-token-0001', { error: 'AccessDeniedException' }, 503],
    ['throttled', 'a-good-long-webhook-token-0002', { error: 'ThrottlingException' }, 503],
    ['present, but every request has a wrong token', 'a-good-long-webhook-token-0003', undefined, 401],
  ] as [string, string | null, SecretsFault | undefined, number][])(
    '%s: 30 requests, 1 read',
    async (_name, value, fault, status) => {
      const secretId = `hostile/webhook/${randomUUID()}`;
      if (value !== null) secretsEmulator.put(secretId, value);
      if (fault) secretsEmulator.script([fault]);
      const webhook = createWebhook(
        { ...ENV, GENESYS_CREDENTIALS_SECRET_ID: 'unused', WEBHOOK_TOKEN_SECRET_ID: secretId },
        { logger: createLogger({ sink: () => undefined }) },
      );
      const answers: number[] = [];
      for (let i = 0; i < 30; i += 1)
        answers.push((await webhook.handle(request(`Bearer wrong-token-${i}-xxxxxxxxxxxx`), invocation())).statusCode);
      expect(new Set(answers)).toEqual(new Set([status]));
      expect(reads(secretId)).toBe(1);
    },
  );

  test(
    'SECRET_CACHE_MAX_AGE_MS=0 does not reach the bearer secret: ' +
      '30 requests with a wrong token and 30 with the right one, 1 read',
    async () => {
      const secretId = `hostile/webhook/${randomUUID()}`;
      secretsEmulator.put(secretId, 'a-good-long-webhook-token-0007');
      const webhook = createWebhook(
        {
          ...ENV,
          SECRET_CACHE_MAX_AGE_MS: '0',
          GENESYS_CREDENTIALS_SECRET_ID: 'unused',
          WEBHOOK_TOKEN_SECRET_ID: secretId,
        },
        { logger: createLogger({ sink: () => undefined }) },
      );
      const answers: number[] = [];
      for (let i = 0; i < 30; i += 1)
        answers.push((await webhook.handle(request(`Bearer wrong-token-${i}-xxxxxxxxxxxx`), invocation())).statusCode);
      expect(new Set(answers)).toEqual(new Set([401]));
      expect(reads(secretId)).toBe(1);
      // The right token is let through (the flag itself then fails on the unused credentials secret: 200 and a status).
      for (let i = 0; i < 30; i += 1)
        answers.push((await webhook.handle(request('Bearer a-good-long-webhook-token-0007'), invocation())).statusCode);
      expect(answers.slice(30).every((code) => code === 200)).toBe(true);
      expect(reads(secretId)).toBe(1);
    },
  );

  test('a slow token-secret read is part of the deadline: the answer comes inside the Lambda time', async () => {
    const genesys = await startGenesysEmulator();
    try {
      const credentialsId = `hostile/${randomUUID()}`;
      const tokenId = `hostile/webhook/${randomUUID()}`;
      secretsEmulator.put(credentialsId, credentialsSecret());
      secretsEmulator.put(tokenId, 'a-good-long-webhook-token-0004');
      const webhook = createWebhook(
        {
          ...ENV,
          FLAG_DEADLINE_MS: '8000',
          FLAG_ATTEMPT_TIMEOUT_MS: '3000',
          ...genesysEnv(genesys.url, credentialsId),
          WEBHOOK_TOKEN_SECRET_ID: tokenId,
        },
        { logger: createLogger({ sink: () => undefined }) },
      );
      const c = newConversation(genesys, { resolveAfterMs: NEVER });
      secretsEmulator.script([{ delayMs: 1200 }]); // the bearer secret's read
      const remainingMs = 2500; // a Lambda with 2.5 s left: 2 s after the 500 ms safety margin
      const started = Date.now();
      const answer = await webhook.handle(
        {
          ...request('Bearer a-good-long-webhook-token-0004'),
          body: JSON.stringify({ ...c, compliance_checked: true }),
        },
        invocation(remainingMs),
      );
      const wallMs = Date.now() - started;
      const result = JSON.parse(answer.body) as FlagResult;
      expect(result.status).toBe('PARTICIPANT_NOT_FOUND');
      expect(wallMs).toBeLessThan(remainingMs - 400);
      // Counted from when the request arrived: a deadline counted from after the 1.2 s bearer check
      // would have let the flag run until about 3.2 s, past the wall-time bound above.
      expect(result.elapsedMs).toBeLessThanOrEqual(2000 + 50);
    } finally {
      await genesys.close();
    }
  });

  test(
    'API Gateway events are read by their own method field: payload 2.0 requestContext.http.method, ' +
      'payload 1.0 (REST API) httpMethod; an event with neither is not a POST',
    async () => {
      const genesys = await startGenesysEmulator();
      try {
        const credentialsId = `hostile/${randomUUID()}`;
        const tokenId = `hostile/webhook/${randomUUID()}`;
        secretsEmulator.put(credentialsId, credentialsSecret());
        secretsEmulator.put(tokenId, 'a-good-long-webhook-token-0006');
        const webhook = createWebhook(
          {
            ...ENV,
            ...genesysEnv(genesys.url, credentialsId),
            WEBHOOK_TOKEN_SECRET_ID: tokenId,
          },
          { logger: createLogger({ sink: () => undefined }) },
        );
        const c = newConversation(genesys);
        const common = {
          headers: { Authorization: 'Bearer a-good-long-webhook-token-0006', 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...c, compliance_checked: true }),
          isBase64Encoded: false,
        };
        const answer = async (event: Record<string, unknown>) => {
          const before = genesys.arrivals.filter((r) => r.route !== 'token').length;
          const response = await webhook.handle(webhookRequestOf(event), invocation());
          return {
            statusCode: response.statusCode,
            api: genesys.arrivals.filter((r) => r.route !== 'token').length - before,
          };
        };
        const rest = (httpMethod: string) => ({
          resource: '/flag',
          path: '/flag',
          httpMethod,
          requestContext: { httpMethod, resourcePath: '/flag', stage: 'prod' },
          ...common,
        });
        const http = (method: string) => ({
          version: '2.0',
          routeKey: `${method} /flag`,
          requestContext: { http: { method, path: '/flag' } },
          ...common,
        });
        expect(await answer(rest('GET'))).toEqual({ statusCode: 405, api: 0 });
        expect(await answer(http('GET'))).toEqual({ statusCode: 405, api: 0 });
        expect(await answer({ ...common })).toEqual({ statusCode: 405, api: 0 });
        expect(await answer(rest('POST'))).toEqual({ statusCode: 200, api: 1 });
        expect(await answer(http('POST'))).toEqual({ statusCode: 200, api: 1 });
      } finally {
        await genesys.close();
      }
    },
  );

  test('a token-secret read that outlasts the whole deadline answers 503 in time', async () => {
    const tokenId = `hostile/webhook/${randomUUID()}`;
    secretsEmulator.put(tokenId, 'a-good-long-webhook-token-0005');
    const webhook = createWebhook(
      { ...ENV, GENESYS_CREDENTIALS_SECRET_ID: 'unused', WEBHOOK_TOKEN_SECRET_ID: tokenId },
      { logger: createLogger({ sink: () => undefined }) },
    );
    secretsEmulator.script([{ hang: true }]);
    const started = Date.now();
    const answer = await webhook.handle(request('Bearer a-good-long-webhook-token-0005'), invocation(1000));
    expect(answer.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(800);
  });
});

// ---------------------------------------------------------------------------------------------
// The queue door: whatever shape the event has, the door reports what it can and never throws

describe('queue events of odd shapes', () => {
  const logs: string[] = [];
  const logger = createLogger({ sink: (line) => logs.push(line) });

  test.each([
    ['no event', undefined],
    ['Records not a list', { Records: 'everything' }],
    ['Records null', { Records: null }],
  ])('%s: nothing to report, an error logged', (_name, event) => {
    logs.length = 0;
    expect(batchRecords(event, logger, 'r-1')).toEqual([]);
    expect(logs.join('\n')).toContain('not a queue event');
  });

  test(
    'null records, records without a messageId or with an absurd one are logged and left out; ' + 'the rest are kept',
    () => {
      logs.length = 0;
      const event = {
        Records: [
          null,
          { body: '{}' },
          { messageId: '', body: '{}' },
          { messageId: 'm'.repeat(300), body: '{}' },
          { messageId: 'm-1', body: 5 },
          { messageId: 'm-2', body: '{}' },
        ],
      };
      expect(batchRecords(event, logger, 'r-1')).toEqual([
        { id: 'm-1', body: 5 },
        { id: 'm-2', body: '{}' },
      ]);
      expect(logs.filter((line) => line.includes('queue record dropped'))).toHaveLength(4);
      expect(logs.join('\n')).not.toContain('mmmmmmmmmm');
    },
  );

  test('a record whose body is not a string is refused and reported for redelivery', async () => {
    const flagger = createFlagger(
      { ...ENV, GENESYS_CREDENTIALS_SECRET_ID: 'unused' },
      { logger: createLogger({ sink: () => undefined }) },
    );
    const outcome = await flagBatch([{ id: 'm-1', body: 5 }], flagger, {
      requestId: 'r-1',
      concurrency: 1,
      bodyRules: ANY_BODY,
    });
    expect(outcome.failedIds).toEqual(['m-1']);
    expect(outcome.counts.INVALID_INPUT).toBe(1);
  });
});
