import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseFlagRequest, type AttributeContract, type AttributeType } from '../../lib/core/flag-request';
import { CONTRACT } from '../../lib/core/attribute-contract';

const limits = { maxCount: 5, maxKeyLength: 20, maxValueLength: 16, maxBodyBytes: 400 };
const conversationId = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';
const participantId = 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36';
const WIDE_KEYS = [
  'aaaaaaaaaaaaaaaaaaa1',
  'aaaaaaaaaaaaaaaaaaa2',
  'aaaaaaaaaaaaaaaaaaa3',
  'aaaaaaaaaaaaaaaaaaa4',
  'aaaaaaaaaaaaaaaaaaa5',
];
/** The rules other than the contract are tested with a contract that names every attribute used here. */
const TEST_CONTRACT: AttributeContract = new Map<string, AttributeType>([
  ['compliance_checked', 'boolean'],
  ['flag', 'boolean'],
  ['score', 'integer'],
  ['n', 'integer'],
  ['ratio', 'number'],
  ...['risk_level', 'note', 'ssn', 'a', 'b', 'c', 'd', 'e', 'f', ...WIDE_KEYS].map((k): [string, AttributeType] => [
    k,
    'string',
  ]),
]);
const parse = (event: unknown, contract: AttributeContract = TEST_CONTRACT) =>
  parseFlagRequest(event, limits, 'customer', contract);
const reasonOf = (event: unknown, contract: AttributeContract = TEST_CONTRACT): string => {
  const parsed = parse(event, contract);
  if (parsed.ok) throw new Error('expected INVALID_INPUT');
  return parsed.error;
};

describe('flat form (what an Architect data action sends)', () => {
  test('every non-id top-level field is an attribute, converted to a string', () => {
    expect(
      parse({ conversationId, participantId, compliance_checked: true, score: 42, ratio: 0.5, risk_level: 'low' }),
    ).toEqual({
      ok: true,
      value: {
        conversationId,
        participantId,
        participantPurpose: 'customer',
        attributes: { compliance_checked: 'true', score: '42', ratio: '0.5', risk_level: 'low' },
      },
    });
  });

  test('null means "not set in the flow": the key is skipped', () => {
    expect(parse({ conversationId, participantId, a: null, b: 'x' })).toMatchObject({
      ok: true,
      value: { attributes: { b: 'x' } },
    });
  });

  test("Genesys's reserved names are never attributes", () => {
    const parsed = parse({
      conversationId,
      participantId,
      orgId: 'o',
      integrationId: 'i',
      rawRequest: 'r',
      flag: false,
    });
    expect(parsed).toMatchObject({ ok: true, value: { attributes: { flag: 'false' } } });
  });

  test('an empty string value is sent as an empty string', () => {
    expect(parse({ conversationId, participantId, note: '' })).toMatchObject({
      ok: true,
      value: { attributes: { note: '' } },
    });
  });
});

describe('nested form (queues, webhooks, programs)', () => {
  test('attributes come from the object, ids from the top level', () => {
    expect(parse({ conversationId, participantId, attributes: { compliance_checked: 'true', n: 1 } })).toMatchObject({
      ok: true,
      value: { attributes: { compliance_checked: 'true', n: '1' } },
    });
  });

  test('an unknown top-level field next to "attributes" is refused: a typo must not vanish', () => {
    expect(reasonOf({ conversationId, participantId, attributes: { a: 'x' }, complaince_checked: true })).toContain(
      '"complaince_checked"',
    );
  });

  test('reserved names may stand next to "attributes"', () => {
    expect(parse({ conversationId, participantId, orgId: 'o', attributes: { a: 'x' } }).ok).toBe(true);
  });

  test.each([['x'], [null], [['a']], [1]])('"attributes" that is not an object (%p) is refused', (attributes) => {
    expect(reasonOf({ conversationId, participantId, attributes })).toContain('attributes must be an object');
  });
});

describe('participant id', () => {
  test.each([[undefined], [null], ['']])('%p means "look the participant up by purpose"', (id) => {
    const parsed = parse({ conversationId, participantId: id, a: 'x' });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.participantId).toBeUndefined();
      expect(parsed.value.participantPurpose).toBe('customer');
    }
  });

  test('participantPurpose picks another purpose and is not an attribute', () => {
    expect(parse({ conversationId, participantPurpose: 'external', a: 'x' })).toMatchObject({
      ok: true,
      value: { participantPurpose: 'external', attributes: { a: 'x' } },
    });
  });

  test.each(['not-a-uuid', '../../users/me', `${participantId}/attributes`, `${participantId}?x=1`, 42])(
    'a participantId that is not a UUID (%p) is refused before any request',
    (id) => {
      expect(reasonOf({ conversationId, participantId: id, a: 'x' })).toContain('participantId must be a UUID');
    },
  );

  test('ids are normalised to lower case', () => {
    expect(
      parse({ conversationId: conversationId.toUpperCase(), participantId: participantId.toUpperCase(), a: 'x' }),
    ).toMatchObject({
      value: { conversationId, participantId },
    });
  });

  test('a purpose with odd characters is refused', () => {
    expect(reasonOf({ conversationId, participantPurpose: 'cust omer', a: 'x' })).toContain('participantPurpose');
  });
});

describe('refusals', () => {
  test.each([[null], [[]], ['{"conversationId":"x"}'], [42], [undefined]])(
    'an event that is not an object (%p)',
    (event) => {
      expect(reasonOf(event)).toContain('the event must be a JSON object');
    },
  );

  test.each([[undefined], [''], ['abc'], [`${conversationId}/../x`], [123]])('conversationId %p', (id) => {
    expect(reasonOf({ conversationId: id, participantId, a: 'x' })).toBe('conversationId must be a UUID');
  });

  test.each([
    [{ a: { nested: 'x' } }, 'must be a string, number or boolean, got an object'],
    [{ a: ['x'] }, 'got an array'],
    [{ a: Number.NaN }, 'non-finite'],
  ])('a value that is not flat: %j', (attrs, reason) => {
    expect(reasonOf({ conversationId, participantId, ...attrs })).toContain(reason);
  });

  test('no attribute left is refused', () => {
    expect(reasonOf({ conversationId, participantId })).toContain('no attribute to set');
    expect(reasonOf({ conversationId, participantId, a: null })).toContain('no attribute to set');
    expect(reasonOf({ conversationId, participantId, attributes: {} })).toContain('no attribute to set');
  });

  test.each(['1abc', 'has space', 'a/b', '__proto__', 'x'.repeat(21), 'ümlaut', ''])(
    'attribute name %p is refused',
    (key) => {
      expect(reasonOf({ conversationId, participantId, attributes: { [key]: 'v' } })).toContain('is invalid');
    },
  );

  test('limits on count, value length and body size are enforced', () => {
    const six = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, 'v']));
    expect(reasonOf({ conversationId, participantId, ...six })).toContain('more than 5 attributes');
    expect(reasonOf({ conversationId, participantId, a: 'x'.repeat(17) })).toContain('longer than 16 characters');
    const wide = Object.fromEntries(WIDE_KEYS.map((k) => [k, 'é'.repeat(16)]));
    // 5 keys of 20 characters with 16 two-byte characters each: within every other limit, ~316 bytes of JSON.
    const tight = parseFlagRequest(
      { conversationId, participantId, attributes: wide },
      { ...limits, maxBodyBytes: 300 },
      'customer',
      TEST_CONTRACT,
    );
    expect(tight).toEqual({
      ok: false,
      error: expect.stringMatching(/^attributes take \d+ bytes, more than the limit of 300$/),
    });
    expect(parse({ conversationId, participantId, attributes: wide }).ok).toBe(true);
  });

  test('a reason names the field but never echoes a value', () => {
    const reason = reasonOf({ conversationId, participantId, ssn: { value: '123-45-6789' } });
    expect(reason).toContain('"ssn"');
    expect(reason).not.toContain('123-45-6789');
  });
});

describe('the attribute contract', () => {
  test("production's contract is infra/contracts/attributes.json, names and types", () => {
    const file = JSON.parse(readFileSync(path.join(__dirname, '../../infra/contracts/attributes.json'), 'utf8')) as {
      attributes: { name: string; type: string }[];
    };
    expect([...CONTRACT]).toEqual(file.attributes.map((a) => [a.name, a.type]));
  });

  test.each([
    ['flat', { conversationId, participantId, compliance_checked: true, vip: 'yes' }],
    ['nested', { conversationId, participantId, attributes: { compliance_checked: 'true', vip: 'yes' } }],
    ['flat, even unset', { conversationId, participantId, compliance_checked: true, vip: null }],
    ['nested, alone', { conversationId, participantId, attributes: { vip: 'yes' } }],
  ])('a name outside the contract is refused, named (%s)', (_form, event) => {
    const parsed = parseFlagRequest(event, limits, 'customer', CONTRACT);
    expect(parsed).toEqual({
      ok: false,
      error: 'attribute "vip" is not in the attribute contract (infra/contracts/attributes.json)',
    });
  });

  test('every attribute of the contract is taken, in both forms', () => {
    const flat = {
      conversationId,
      participantId,
      compliance_checked: true,
      verification_method: 'knowledge-based',
      risk_level: 'low',
    };
    expect(parse(flat, CONTRACT)).toMatchObject({
      ok: true,
      value: {
        attributes: { compliance_checked: 'true', verification_method: 'knowledge-based', risk_level: 'low' },
      },
    });
    const nested = { conversationId, participantId, attributes: { compliance_checked: 'false', risk_level: '' } };
    expect(parse(nested, CONTRACT)).toMatchObject({
      ok: true,
      value: { attributes: { compliance_checked: 'false', risk_level: '' } },
    });
  });

  const typed: [AttributeType, unknown[], [unknown, string][], unknown[]][] = [
    // type, values taken as they are sent, [value, what is sent], refused values
    ['string', ['', 'low', 'true', '42'], [], [7, true, false, 0]],
    [
      'boolean',
      [],
      [
        [true, 'true'],
        [false, 'false'],
        ['true', 'true'],
        ['false', 'false'],
      ],
      ['', 'yes', 'TRUE', 'True', 1, 0, 'x'],
    ],
    [
      'integer',
      ['0', '-12', '9007199254740993'],
      [
        [3, '3'],
        [-0, '0'],
        [Number.MAX_SAFE_INTEGER, '9007199254740991'],
      ],
      ['', '3.0', '1e3', '03', '+3', ' 3', 3.5, 2 ** 60, true, 'three'],
    ],
    [
      'number',
      ['0', '0.5', '-1e3', '2E+10'],
      [
        [0.5, '0.5'],
        [-3, '-3'],
        [1e21, '1e+21'],
      ],
      ['', '.5', '0x10', '1.', 'NaN', 'Infinity', true, 'x'],
    ],
  ];
  test.each(typed)(
    '%s: values of the type are taken; others refused, naming the key and the type, never the value',
    (type, asIs, converted, refused) => {
      const contract: AttributeContract = new Map([['field', type]]);
      for (const value of asIs)
        expect(parse({ conversationId, attributes: { field: value } }, contract)).toMatchObject({
          ok: true,
          value: { attributes: { field: value } },
        });
      for (const [value, sent] of converted)
        expect(parse({ conversationId, field: value }, contract)).toMatchObject({
          ok: true,
          value: { attributes: { field: sent } },
        });
      for (const value of refused) {
        const reason = reasonOf({ conversationId, field: value }, contract);
        expect({ value, reason }).toEqual({
          value,
          reason: expect.stringMatching(
            new RegExp(
              `^attribute "field" must be an? ${type}\\b.*, as the attribute contract types it; ` +
                'got an? (string|number|boolean)$',
            ),
          ),
        });
        if (typeof value === 'string' && value !== '') expect(reason).not.toContain(`"${value}"`);
      }
    },
  );
});
