/**
 * The flat status object and the one table from outcome to status. The object is what the data
 * action's output contract describes (flat: strings, integers, booleans), so its keys and types are
 * checked against infra/contracts/flag-participant.output.json.
 */
import output from '../../infra/contracts/flag-participant.output.json';
import { FLAG_STATUSES, statusOf, toResult, type FlagOutcome } from '../../lib/core/flag-result';

const facts = { attempts: 2, httpStatus: 503, elapsedMs: 1234.4, requestId: 'req-1' };

test.each<[FlagOutcome['kind'], string]>([
  ['updated', 'UPDATED'],
  ['invalid-input', 'INVALID_INPUT'],
  ['config', 'CONFIG_ERROR'],
  ['not-resolved', 'PARTICIPANT_NOT_FOUND'],
  ['rejected', 'REJECTED'],
  ['auth', 'AUTH_FAILED'],
  ['throttled', 'RATE_LIMITED'],
  ['upstream', 'UPSTREAM_ERROR'],
  ['timeout', 'TIMEOUT'],
  // A bug has no status of its own: the flow treats it as transient, like an upstream fault.
  ['internal', 'UPSTREAM_ERROR'],
])('%s becomes %s', (kind, status) => {
  const outcome = (kind === 'updated' ? { kind } : { kind, reason: 'r' }) as FlagOutcome;
  expect(statusOf(outcome)).toBe(status);
  expect(FLAG_STATUSES).toContain(status);
});

test('every status is reachable from some outcome, and the output contract names each one', () => {
  const kinds: FlagOutcome['kind'][] = [
    'updated',
    'invalid-input',
    'config',
    'not-resolved',
    'rejected',
    'auth',
    'throttled',
    'upstream',
    'timeout',
    'internal',
  ];
  const reached = new Set(kinds.map((kind) => statusOf({ kind, reason: '' } as FlagOutcome)));
  expect([...reached].sort()).toEqual([...FLAG_STATUSES].sort());
  for (const status of FLAG_STATUSES) expect(output.description).toContain(status);
});

test("the result has exactly the output contract's properties, each of its type", () => {
  const result = toResult(
    { kind: 'upstream', reason: 'still 503' },
    { ...facts, contextId: 'ctx', participantId: 'p' },
  );
  expect(Object.keys(result).sort()).toEqual(Object.keys(output.properties).sort());
  for (const [name, schema] of Object.entries(output.properties)) {
    const value = (result as unknown as Record<string, unknown>)[name];
    if (schema.type === 'integer') expect(Number.isInteger(value)).toBe(true);
    else expect(typeof value).toBe(schema.type);
  }
});

test('updated is true for UPDATED only, and its message is fixed', () => {
  expect(toResult({ kind: 'updated' }, facts)).toMatchObject({
    status: 'UPDATED',
    updated: true,
    message: 'attributes set',
  });
  for (const kind of ['upstream', 'timeout', 'internal', 'auth'] as const)
    expect(toResult({ kind, reason: 'why' }, facts)).toMatchObject({ updated: false, message: 'why' });
});

test('elapsedMs is a whole number of milliseconds, never negative (a clock that stepped back)', () => {
  expect(toResult({ kind: 'updated' }, { ...facts, elapsedMs: 1234.5 }).elapsedMs).toBe(1235);
  expect(toResult({ kind: 'updated' }, { ...facts, elapsedMs: 0.4 }).elapsedMs).toBe(0);
  expect(toResult({ kind: 'updated' }, { ...facts, elapsedMs: -250 }).elapsedMs).toBe(0);
});

test("the correlation id is Genesys's context id when there is one, else the request id", () => {
  expect(toResult({ kind: 'updated' }, { ...facts, contextId: 'ctx-9' }).correlationId).toBe('ctx-9');
  expect(toResult({ kind: 'updated' }, facts).correlationId).toBe('req-1');
  // An empty context id says nothing: the request id still correlates.
  expect(toResult({ kind: 'updated' }, { ...facts, contextId: '' }).correlationId).toBe('req-1');
});

test('counts are passed through, and a participant never resolved is ""', () => {
  expect(toResult({ kind: 'not-resolved', reason: 'r' }, facts)).toEqual({
    status: 'PARTICIPANT_NOT_FOUND',
    updated: false,
    attempts: 2,
    httpStatus: 503,
    elapsedMs: 1234,
    message: 'r',
    correlationId: 'req-1',
    participantId: '',
  });
  expect(toResult({ kind: 'updated' }, { ...facts, participantId: 'p-1' }).participantId).toBe('p-1');
});
