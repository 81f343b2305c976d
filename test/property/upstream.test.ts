/**
 * The upstream side of the properties: any sequence of answers from Genesys, its login host and
 * Secrets Manager (status, headers, body, delay, socket faults; in token mode, the token secret in
 * any state), generated at random, against the retry loop and the real token sources and secret
 * cache on a virtual clock, with the production schedule or any other. Whatever upstream says, a flag
 * - never throws, and returns a well-formed flat status with a short message and correlation id;
 * - answers inside its budget, never sleeping past it;
 * - sends at most the requests `attemptBound` allows (API: passes + 1; token: 2 per pass; token
 *   secret reads: 1 per pass);
 * - puts only UUIDs into request paths, and sends the token only to the hosts it was given.
 */
import fc from 'fast-check';
import { flagParticipant, type FlagDeps, type FlagPolicy } from '../../lib/core/flag-participant';
import { CachedSecret } from '../../lib/aws/secret-cache';
import type { SecretFetch } from '../../lib/aws/secret-source';
import { TokenProvider, type TokenSource } from '../../lib/genesys/oauth-tokens';
import { SecretTokenSource } from '../../lib/genesys/token-secret';
import type { HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import type { GenesysId } from '../../lib/genesys/ids';
import { createLogger } from '../../lib/log';
import { attemptBound } from '../../lib/core/backoff';
import { computeDeadline } from '../../lib/deadline';
import { uuid } from './arbitraries';
import { params, resultProblems, timeout } from './support';
import { sensitive } from '../../lib/sensitive';

const API = 'http://api.genesys.invalid';
const LOGIN = 'http://login.genesys.invalid';
const CONVERSATION = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';
const PARTICIPANT = 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36';
const API_PATH =
  /^http:\/\/api\.genesys\.invalid\/api\/v2\/conversations\/[0-9a-f-]{36}(\/participants\/[0-9a-f-]{36}\/attributes)?$/;

/** Strings upstream may put anywhere: short, long, hostile, numeric, dates. */
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1.5',
    '1e3',
    ' 2 ',
    '..',
    '.',
    '/',
    '%2e%2e',
    '<script>',
    'a\nb',
    'x'.repeat(5000),
    'Thu, 01 Jan 1970 00:00:00 GMT',
    'Fri, 31 Dec 9999 23:59:59 GMT',
  ),
  fc.integer({ min: 0, max: 100 }).map(String),
  fc.integer({ min: -3600, max: 3600 }).map((s) => new Date(Date.UTC(2025, 0, 1, 12) + s * 1000).toUTCString()),
);
const anyJson = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

const participantEntry = fc.record(
  {
    id: fc.oneof({ weight: 3, arbitrary: uuid }, { weight: 2, arbitrary: anyJson }),
    purpose: fc.constantFrom('customer', 'ivr', 'agent', 'CUSTOMER'),
    endTime: fc.option(anyText, { nil: undefined }),
    startTime: fc.option(anyText, { nil: undefined }),
  },
  { requiredKeys: ['purpose'] },
);

const body: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  anyText,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record({ code: anyJson, contextId: anyJson, message: anyText }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc
    .array(participantEntry, { maxLength: 4 })
    .map((participants) => JSON.stringify({ id: CONVERSATION, participants })),
  fc
    .record(
      {
        access_token: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,40}$/), anyJson),
        expires_in: anyJson,
        token_type: anyJson,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

const status = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      200,
      201,
      202,
      204,
      400,
      401,
      403,
      404,
      404,
      408,
      409,
      415,
      429,
      429,
      500,
      501,
      502,
      503,
      504,
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 999 }) },
);

type Answer =
  | {
      kind: 'response';
      status: number;
      retryAfter?: string;
      correlationId?: string;
      body: string;
      truncated: boolean;
      latencyMs: number;
    }
  | { kind: 'network'; reason: 'reset' | 'refused' | 'dns' | 'other'; latencyMs: number }
  /** No answer: the attempt's timeout or the deadline ends it. */
  | { kind: 'hang' };

const latency = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }) },
);
const answer: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record(
      {
        kind: fc.constant('response' as const),
        status,
        retryAfter: anyText,
        correlationId: anyText,
        body,
        truncated: fc.boolean(),
        latencyMs: latency,
      },
      { requiredKeys: ['kind', 'status', 'body', 'truncated', 'latencyMs'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('network' as const),
      reason: fc.constantFrom('reset' as const, 'refused' as const, 'dns' as const, 'other' as const),
      latencyMs: latency,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

/** What Secrets Manager answers for the token secret (token mode): any stored token, or a failure. */
type SecretAnswer = { fetch: SecretFetch; latencyMs: number };
const storedToken = fc.record(
  {
    accessToken: fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,40}$/) },
      { weight: 1, arbitrary: anyJson },
    ),
    expiresAt: fc.oneof(
      fc
        .integer({ min: -3_600_000, max: 48 * 3_600_000 })
        .map((ms) => new Date(Date.UTC(2025, 0, 1, 12) + ms).toISOString()),
      anyJson,
    ),
    environment: fc.oneof(fc.constant('mypurecloud.com'), anyJson),
  },
  { requiredKeys: [] },
);
const secretAnswer: fc.Arbitrary<SecretAnswer> = fc.record({
  fetch: fc.oneof(
    { weight: 4, arbitrary: storedToken.map((v): SecretFetch => ({ ok: true, value: sensitive(JSON.stringify(v)) })) },
    { weight: 1, arbitrary: anyText.map((value): SecretFetch => ({ ok: true, value: sensitive(value) })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<SecretFetch>(
        { ok: false, error: { kind: 'unavailable', reason: 'ThrottlingException' } },
        { ok: false, error: { kind: 'config', reason: 'AccessDeniedException' } },
      ),
    },
  ),
  latencyMs: latency,
});

/**
 * A backoff or poll schedule as the configuration allows it (a cap no smaller than its base); bases
 * from 20 ms keep a run short.
 */
const schedule = fc
  .integer({ min: 20, max: 1000 })
  .chain((baseMs) => fc.integer({ min: baseMs, max: 5000 }).map((capMs) => ({ baseMs, capMs })));

const scenario = fc.record({
  remainingMs: fc.integer({ min: 50, max: 15_000 }),
  deadlineMs: fc.oneof(fc.constant(8000), fc.integer({ min: 1, max: 15_000 })),
  attemptTimeoutMs: fc.oneof(fc.constant(3000), fc.integer({ min: 1, max: 5000 })),
  minAttemptMs: fc.oneof(fc.constant(50), fc.integer({ min: 0, max: 300 })),
  // The production schedule, or any other the settings allow: the bound must follow from either.
  backoff: fc.oneof(fc.constant({ baseMs: 100, capMs: 1000 }), schedule),
  poll: fc.oneof(fc.constant({ baseMs: 150, capMs: 560 }), schedule),
  lookup: fc.boolean(),
  tokenMode: fc.boolean(),
  secret: fc.array(secretAnswer, { minLength: 1, maxLength: 6 }),
  api: fc.array(answer, { minLength: 1, maxLength: 30 }),
  login: fc.array(answer, { minLength: 1, maxLength: 6 }),
  randoms: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const quiet = createLogger({ level: 'error', sink: () => undefined });

async function run(s: Scenario) {
  let t = T0;
  const deadline = computeDeadline(T0, s.deadlineMs, s.remainingMs, 500);
  const problems: string[] = [];
  const sent = { api: [] as string[], token: 0 };
  const issued = new Set<string>();

  const http = async (req: HttpRequest): Promise<HttpReply> => {
    const isToken = req.url === `${LOGIN}/oauth/token`;
    if (isToken) sent.token += 1;
    else sent.api.push(req.url);
    if (!isToken && !API_PATH.test(req.url)) problems.push(`requested ${req.url.slice(0, 200)}`);
    const bearer = req.authorization?.reveal().replace(/^Bearer /, '');
    if (!isToken && (bearer === undefined || !issued.has(bearer)))
      problems.push('an API request without a token the login host issued');
    if (sent.api.length + sent.token > 10_000) throw new Error('runaway retry loop');
    const list = isToken ? s.login : s.api;
    const step = list[(isToken ? sent.token - 1 : sent.api.length - 1) % list.length] as Answer;
    const left = deadline - t;
    if (step.kind === 'hang' || step.latencyMs >= Math.min(req.timeoutMs, left)) {
      // No answer in time: the attempt's own timeout, or the deadline (the token request is not
      // cut by the deadline itself, but its caller stops waiting then: the same to the loop).
      t += Math.min(req.timeoutMs, Math.max(0, left));
      return req.timeoutMs < left || isToken
        ? { kind: 'network', reason: 'timeout', code: 'ATTEMPT_TIMEOUT' }
        : { kind: 'network', reason: 'aborted', code: 'DEADLINE' };
    }
    t += step.latencyMs;
    if (step.kind === 'network') return { kind: 'network', reason: step.reason, code: 'E' };
    let replyBody = step.body;
    if (isToken && step.status >= 200 && step.status < 300) {
      // Remember what a client could take for a token, so the API side can tell whose token it got.
      try {
        const parsed = JSON.parse(replyBody) as { access_token?: unknown };
        if (typeof parsed.access_token === 'string') issued.add(parsed.access_token);
      } catch {
        replyBody = step.body;
      }
    }
    const headers: Record<string, string | undefined> = {};
    if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
    if (step.correlationId !== undefined) headers['inin-correlation-id'] = step.correlationId;
    return { kind: 'response', status: step.status, headers, body: replyBody, truncated: step.truncated };
  };

  let credentialReads = 0;
  let secretReads = 0;
  const tokenSecret = new CachedSecret(
    {
      fetch: async () => {
        const step = s.secret[secretReads++ % s.secret.length] as SecretAnswer;
        t += Math.min(step.latencyMs, Math.max(0, deadline - t));
        if (step.fetch.ok) {
          // A token the function may send: to the API side it is as good as one the login host issued.
          try {
            const parsed = JSON.parse(step.fetch.value.reveal()) as { accessToken?: unknown };
            if (typeof parsed.accessToken === 'string') issued.add(parsed.accessToken);
          } catch {
            // not JSON: the token source refuses it
          }
        }
        return step.fetch;
      },
    },
    'token-secret',
    { maxAgeMs: 300_000, minRefreshIntervalMs: 10_000, now: () => t },
  );
  const fromSecret = new SecretTokenSource(tokenSecret, {
    now: () => t,
    refreshMarginMs: 60_000,
    refusalMemoryMs: 10_000,
    overrides: { apiBaseUrl: API, loginBaseUrl: LOGIN },
  });
  const minted = new TokenProvider({
    // A different secret on every read, so that a refused client is always retried with the "rotated" one.
    credentials: async () => {
      credentialReads += 1;
      return {
        ok: true,
        value: {
          clientId: 'c',
          clientSecret: sensitive(`s${credentialReads}`),
          environment: '',
          hosts: { apiBaseUrl: API, loginBaseUrl: LOGIN },
        },
      };
    },
    http,
    now: () => t,
    attemptTimeoutMs: s.attemptTimeoutMs,
    refreshMarginMs: 60_000,
  });
  const tokens: TokenSource = s.tokenMode ? fromSecret : minted;
  let randomCalls = 0;
  const deps: FlagDeps = {
    now: () => t,
    sleep: async (ms) => {
      if (!(ms >= 1)) problems.push(`sleep(${ms})`);
      if (t + ms > deadline) problems.push(`sleeps ${ms} ms with ${deadline - t} ms left`);
      t += ms;
    },
    random: () => s.randoms[randomCalls++ % s.randoms.length] as number,
    http,
    tokens,
    logger: quiet,
  };
  const policy: FlagPolicy = {
    backoff: s.backoff,
    poll: s.poll,
    attemptTimeoutMs: s.attemptTimeoutMs,
    minAttemptMs: s.minAttemptMs,
  };
  const request = {
    conversationId: CONVERSATION as GenesysId,
    ...(s.lookup ? {} : { participantId: PARTICIPANT as GenesysId }),
    participantPurpose: 'customer',
    attributes: { compliance_checked: 'true' },
  };
  const result = await flagParticipant(request, policy, { startedAt: T0, deadline, requestId: 'r-1' }, deps);
  return {
    result,
    elapsed: t - T0,
    budget: deadline - T0,
    passes: attemptBound(policy, deadline - T0),
    sent,
    secretReads,
    problems,
  };
}

test(
  'any upstream answers: no throw, inside the budget, within the attempt bound, only UUIDs in paths',
  async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const r = await run(s);
        expect(r.problems).toEqual([]);
        expect(resultProblems(r.result)).toEqual([]);
        expect(r.elapsed).toBeLessThanOrEqual(r.budget);
        expect(r.sent.api.length).toBeLessThanOrEqual(r.passes + 1);
        expect(r.sent.token).toBeLessThanOrEqual(2 * r.passes);
        expect(r.secretReads).toBeLessThanOrEqual(r.passes);
        expect(r.result.attempts).toBe(r.sent.api.length);
        expect(r.result.message.length).toBeLessThanOrEqual(300);
        expect(r.result.correlationId === 'r-1' || /^[A-Za-z0-9._-]{1,64}$/.test(r.result.correlationId)).toBe(true);
        // The event's participant, one a lookup found (a UUID), or none: never what a lookup echoed.
        expect(
          r.result.participantId === '' || /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(r.result.participantId),
        ).toBe(true);
      }),
      params(1500),
    );
  },
  timeout(20_000, 1500),
);
