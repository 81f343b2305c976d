/**
 * Events that are valid, almost valid, or hostile: the shapes a flow, a queue or an attacker can
 * send. Plain `fc.jsonValue()` almost never produces a valid event, so these build events from
 * parts (ids, purpose, reserved keys, flat or nested attributes) and spoil some of them.
 */
import fc from 'fast-check';
import { fittingContract, type ContractType } from './oracle';

/** Marks values that must never be echoed in a status message (personal data in real life). */
export const SENTINEL = 'SENTINEL';
const sentinel = fc.nat({ max: 999_999 }).map((n) => `${SENTINEL}-${n}`);

/** A UUID in any case. */
export const uuid = fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u));

/** Strings and values that look like an id but are not one, including traversal and injection. */
export const hostileId: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'nope',
    'null',
    'undefined',
    '../../',
    '..%2f..%2f',
    '%2e%2e',
    '%2E%2E%2F',
    '.',
    '..',
    '/',
    '?',
    '#',
    '\r\n',
    '00000000-0000-0000-0000-00000000000', // one digit short
    '00000000-0000-0000-0000-0000000000000', // one digit long
    '00000000_0000_0000_0000_000000000000',
  ),
  uuid.map((u) => `${u}\n`),
  uuid.map((u) => ` ${u}`),
  uuid.map((u) => `{${u}}`),
  uuid.map((u) => `urn:uuid:${u}`),
  uuid.map((u) => u.replace(/-/g, '')),
  uuid.map((u) => `${u}/../../x`),
  uuid.map((u) => `${u}/attributes`),
  uuid.map((u) => `${u}?x=1`),
  uuid.map((u) => `${u}#x`),
  uuid.map((u) => `${u}%2F..`),
  uuid.map((u) => `${u}\r\nX-Injected: 1`),
  // One character of a valid id replaced by a look-alike or a separator.
  fc
    .tuple(
      uuid,
      fc.nat({ max: 35 }),
      fc.constantFrom(
        'g',
        'G',
        '/',
        '\\',
        '.',
        '%',
        '?',
        '#',
        ' ',
        '\u0000',
        '\u200b',
        '\u2010',
        '\u2011',
        '\uff10',
        '\u0430',
        '\u0435',
        '\u0660',
        '\ufeff',
        '-',
      ),
    )
    .map(([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  uuid.map((u) => [u]),
  uuid.map((u) => ({ id: u })),
  sentinel,
);

const ABSENT = Symbol('absent');
type Maybe<T> = T | typeof ABSENT;

const conversationId: fc.Arbitrary<Maybe<unknown>> = fc.oneof(
  { weight: 12, arbitrary: uuid },
  { weight: 2, arbitrary: hostileId },
  { weight: 1, arbitrary: fc.constantFrom<Maybe<unknown>>(ABSENT, null) },
);

const participantId: fc.Arbitrary<Maybe<unknown>> = fc.oneof(
  { weight: 6, arbitrary: uuid },
  { weight: 4, arbitrary: fc.constantFrom<Maybe<unknown>>(ABSENT, null, '') },
  { weight: 2, arbitrary: hostileId },
);

const purpose: fc.Arbitrary<Maybe<unknown>> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Maybe<unknown>>(ABSENT) },
  { weight: 2, arbitrary: fc.constantFrom<Maybe<unknown>>(null, '', 'customer', 'agent', 'external', 'Customer') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Maybe<unknown>>(
      '1x',
      '_x',
      'a b',
      'x'.repeat(65),
      'cust/omer',
      'customer\n',
      7,
      true,
      {},
      ['customer'],
    ),
  },
);

const reservedValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.uuid());

/** Names that must be accepted: the contract's pattern, built-in property names, the length limit. */
export const validKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,15}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'prototype',
      'compliance.checked',
      'a',
      'Z-',
      'x'.repeat(128),
    ),
  },
);

const badKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '1abc',
    '_x',
    '.x',
    '-x',
    'a b',
    'a/b',
    'a\nb',
    'a\r\nb',
    '\u00e9t\u00e9',
    'caf\u00e9',
    '__proto__',
    'x'.repeat(129),
    'a<script>',
    'a"b',
    'a\u0000',
    '$where',
    'a:b',
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
);

const key: fc.Arbitrary<string> = fc.oneof({ weight: 12, arbitrary: validKey }, { weight: 1, arbitrary: badKey });

/** Values the contract accepts: strings (any Unicode, lone surrogates too), numbers, booleans, null. */
export const validValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'true',
      'null',
      '{"a":1}',
      '\u2028',
      'x'.repeat(256),
      '\u20ac'.repeat(256),
      '\u{1F600}'.repeat(128),
    ),
  },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e21, 5e-324, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: sentinel },
);

const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    {},
    [],
    [1],
    { a: 'b' },
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    'x'.repeat(257),
    '\u{1F600}'.repeat(129),
  ),
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v === 'object' && v !== null),
  sentinel.map((s) => ({ value: s })),
  sentinel.map((s) => [s]),
);

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 15, arbitrary: validValue },
  { weight: 1, arbitrary: badValue },
);

/**
 * Large values near the per-value limit, in characters of 1 to 4 UTF-8 bytes and in characters that
 * JSON escapes (a control character takes 6 bytes on the wire), to reach the body limit.
 */
const bigChar = fc.constantFrom('x', '\u00e9', '\u20ac', '\u{1F600}', '\u0001', '"', '\\');
const bigValueOf = (c: string): fc.Arbitrary<string> =>
  fc.integer({ min: 200, max: 256 }).map((n) => c.repeat(c.length === 2 ? Math.floor(n / 2) : n));
const bigValue = bigChar.chain(bigValueOf);
/** Many large values, all in one kind of character, so that the heavy kinds cross 32 KiB. */
const bigEntries = (minLength: number, maxLength: number): fc.Arbitrary<[string, unknown][]> =>
  bigChar.chain((c) =>
    fc.uniqueArray(fc.tuple(validKey, bigValueOf(c)), { minLength, maxLength, selector: ([k]) => k }),
  );

const attributeEntries: fc.Arbitrary<[string, unknown][]> = fc.oneof(
  { weight: 12, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 8 }) },
  // Around the count limit (50 by default).
  {
    weight: 2,
    arbitrary: fc.uniqueArray(fc.tuple(validKey, validValue), { minLength: 48, maxLength: 60, selector: ([k]) => k }),
  },
  // Around the body limit (32 KiB by default).
  { weight: 2, arbitrary: bigEntries(20, 50) },
);

export interface EventShape {
  form: 'flat' | 'nested';
  /** Nested only: an extra top-level key next to "attributes" (a typo, a stray attribute). */
  stray?: [string, unknown];
  /** Nested only: something else than an object under "attributes". */
  badNested?: unknown;
}

const shape: fc.Arbitrary<EventShape> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<EventShape>({ form: 'flat' }) },
  { weight: 8, arbitrary: fc.constant<EventShape>({ form: 'nested' }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('atributes', 'compliance_checked', 'conversationID', 'Attributes'), validValue)
      .map(([k, v]) => ({ form: 'nested' as const, stray: [k, v] as [string, unknown] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<unknown>(null, 'x', [], [['a', 'b']], 7, true)
      .map((bad) => ({ form: 'nested' as const, badNested: bad })),
  },
);

const entry = (name: string, v: Maybe<unknown>): [string, unknown][] => (v === ABSENT ? [] : [[name, v]]);

/** Valid, near-valid and broken events in both forms. */
export const nearValidEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    conversationId,
    participantId,
    purpose,
    reserved: fc.record(
      { orgId: reservedValue, integrationId: reservedValue, rawRequest: reservedValue },
      { requiredKeys: [] },
    ),
    attributes: attributeEntries,
    shape,
  })
  .map(({ conversationId: c, participantId: p, purpose: pp, reserved, attributes, shape: s }) => {
    const head: [string, unknown][] = [
      ...entry('conversationId', c),
      ...entry('participantId', p),
      ...entry('participantPurpose', pp),
      ...Object.entries(reserved),
    ];
    if (s.form === 'flat') return Object.fromEntries([...head, ...attributes]);
    const nested = s.badNested !== undefined ? s.badNested : Object.fromEntries(attributes);
    return Object.fromEntries([...head, ['attributes', nested], ...(s.stray ? [s.stray] : [])]);
  });

/** Attribute maps the contract accepts (the property filters out the few over a limit). */
export const validAttributes: fc.Arbitrary<[string, unknown][]> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.uniqueArray(fc.tuple(validKey, validValue), { minLength: 1, maxLength: 12, selector: ([k]) => k }),
  },
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.tuple(validKey, validValue), { minLength: 40, maxLength: 50, selector: ([k]) => k }),
  },
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.tuple(validKey, bigValue), { minLength: 10, maxLength: 40, selector: ([k]) => k }),
  },
  { weight: 1, arbitrary: bigEntries(10, 40) },
);

/** Small limits, so that each limit is reached by small events too. */
export const smallLimits = fc.record({
  maxCount: fc.integer({ min: 1, max: 6 }),
  maxKeyLength: fc.integer({ min: 1, max: 20 }),
  maxValueLength: fc.integer({ min: 0, max: 30 }),
  maxBodyBytes: fc.integer({ min: 16, max: 300 }),
});

const CONTRACT_TYPES: ContractType[] = ['string', 'integer', 'number', 'boolean'];

/**
 * Each event with an attribute contract to judge it under: mostly the one that fits its keys and
 * values (so that the other rules decide), with now and then a key left out or typed otherwise, and
 * names the event does not send. The contract rules are then crossed as often as the others.
 */
export function withContract<T>(events: fc.Arbitrary<T>): fc.Arbitrary<[T, Map<string, ContractType>]> {
  return events.chain((event) => {
    const fitting = [...fittingContract(event)];
    const fate = fc.oneof(
      { weight: 80, arbitrary: fc.constant<'keep' | 'drop' | ContractType>('keep') },
      { weight: 1, arbitrary: fc.constant<'keep' | 'drop' | ContractType>('drop') },
      { weight: 1, arbitrary: fc.constantFrom<'keep' | 'drop' | ContractType>(...CONTRACT_TYPES) },
    );
    return fc
      .tuple(
        fc.array(fate, { minLength: fitting.length, maxLength: fitting.length }),
        fc.array(fc.tuple(validKey, fc.constantFrom(...CONTRACT_TYPES)), { maxLength: 2 }),
      )
      .map(([fates, extra]): [T, Map<string, ContractType>] => {
        const contract = new Map(extra);
        fitting.forEach(([key, type], i) => {
          const f = fates[i] ?? 'keep';
          if (f === 'drop') contract.delete(key);
          else contract.set(key, f === 'keep' ? type : f);
        });
        return [event, contract];
      });
  });
}
