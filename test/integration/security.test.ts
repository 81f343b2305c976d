/**
 * Hostile ids and names never reach Genesys: traversal, percent-encoding, path, query and fragment
 * characters, CR/LF header injection, Unicode look-alikes and prototype keys in the conversation
 * id, the participant id, the purpose or an attribute name all end INVALID_INPUT, with nothing
 * sent to the Genesys emulator or to Secrets Manager, over the real clients.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Flagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import { hostileId, uuid } from '../property/arbitraries';
import { isUuid } from '../property/oracle';
import { params, timeout } from '../property/support';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
let flagger: Flagger;
const logs: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  flagger = h.flagger({}, { logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }) });
});
afterAll(async () => {
  await h.close();
});

const U = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';

/** Each one a single-character or single-affix spoof of U, or a classic traversal or injection. */
const HOSTILE_IDS: [string, string][] = [
  ['parent traversal', '../../'],
  ['traversal after a valid id', `${U}/../../../oauth/token`],
  ['encoded traversal', '%2e%2e%2f%2e%2e'],
  ['encoded dots only', '%2e%2e'],
  ['double-encoded traversal', '%252e%252e%252f'],
  ['backslash traversal', '..\\..\\'],
  ['a path separator', `${U.slice(0, 8)}/${U.slice(9)}`],
  ['a trailing path', `${U}/participants/x`],
  ['a query', `${U}?access_token=x`],
  ['a fragment', `${U}#x`],
  ['an encoded slash', `${U}%2F..`],
  ['CRLF header injection', `${U}\r\nX-Injected: yes`],
  ['a lone LF', `${U}\n`],
  ['a NUL byte', `${U}\u0000`],
  ['leading whitespace', ` ${U}`],
  ['braces', `{${U}}`],
  ['a URN', `urn:uuid:${U}`],
  ['no hyphens', U.replace(/-/g, '')],
  ['Cyrillic a (U+0430) for a', U.replace('a', '\u0430')],
  ['Cyrillic e (U+0435) for e', U.replace('e', '\u0435')],
  ['fullwidth digit (U+FF14) for 4', U.replace('4', '\uff14')],
  ['Arabic-Indic digit (U+0660) for 0', U.replace('0', '\u0660')],
  ['hyphen U+2010 for -', U.replace('-', '\u2010')],
  ['non-breaking hyphen U+2011 for -', U.replace('-', '\u2011')],
  ['minus sign U+2212 for -', U.replace('-', '\u2212')],
  ['zero-width space inside', `${U.slice(0, 10)}\u200b${U.slice(10)}`],
  ['a byte-order mark', `\ufeff${U}`],
  ['combining mark', `${U}\u0301`],
  ['HTML', '<script>alert(1)</script>'],
  ['SQL', "' OR '1'='1"],
  ['an object', '[object Object]'],
];

function expectNothingSent(before: { genesys: number; secrets: number }): void {
  expect(h.genesys.arrivals.length).toBe(before.genesys);
  expect(h.secrets.requests.length).toBe(before.secrets);
}

const counts = () => ({ genesys: h.genesys.arrivals.length, secrets: h.secrets.requests.length });

describe.each([
  ['conversationId', (id: string) => ({ conversationId: id, participantId: randomUUID(), compliance_checked: true })],
  ['participantId', (id: string) => ({ conversationId: randomUUID(), participantId: id, compliance_checked: true })],
  [
    'participantPurpose',
    (id: string) => ({ conversationId: randomUUID(), participantPurpose: id, compliance_checked: true }),
  ],
  [
    'participantId (nested form)',
    (id: string) => ({ conversationId: randomUUID(), participantId: id, attributes: { compliance_checked: 'true' } }),
  ],
])('%s', (field, build) => {
  test.each(HOSTILE_IDS)('%s: INVALID_INPUT, nothing sent', async (_name, id) => {
    const before = counts();
    const result = await flagger.flag(build(id), invocation());
    expect(result).toMatchObject({ status: 'INVALID_INPUT', attempts: 0, httpStatus: 0, participantId: '' });
    expect(result.message).toContain(field.split(' ')[0]);
    // The hostile value is not echoed back (it could be a header-injection payload or personal data).
    if (id.length > 3) expect(result.message).not.toContain(id);
    expectNothingSent(before);
  });
});

test.each([
  ['__proto__', '{"__proto__": {"polluted": "yes"}}'],
  ['constructor.prototype', '{"constructor": {"prototype": {"polluted": "yes"}}}'],
  ['a CRLF name', '{"a\\r\\nX-Injected": "yes"}'],
  ['a path name', '{"../../x": "yes"}'],
  ['a name with a NUL', '{"a\\u0000b": "yes"}'],
  ['an accented name', '{"r\\u00e9sultat": "yes"}'],
])('attribute name %s: INVALID_INPUT in both forms, nothing sent, nothing polluted', async (_name, attributes) => {
  const ids = { conversationId: randomUUID(), participantId: randomUUID() };
  const flat = { ...ids, ...(JSON.parse(attributes) as object) };
  const nested = JSON.parse(
    `{"conversationId": "${ids.conversationId}", "participantId": "${ids.participantId}", "attributes": ${attributes}}`,
  ) as unknown;
  const before = counts();
  for (const event of [JSON.parse(JSON.stringify(flat)) as unknown, nested]) {
    const result = await flagger.flag(event, invocation());
    expect(result).toMatchObject({ status: 'INVALID_INPUT', attempts: 0 });
  }
  expectNothingSent(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test(
  'property: any hostile id in any id field is INVALID_INPUT and never reaches Genesys',
  async () => {
    const field = fc.constantFrom('conversationId', 'participantId');
    await fc.assert(
      fc.asyncProperty(field, hostileId, uuid, fc.boolean(), async (name, id, other, nested) => {
        const ids =
          name === 'conversationId'
            ? { conversationId: id, participantId: other }
            : { conversationId: other, participantId: id };
        // '' and null are allowed for participantId (lookup by purpose); they are not hostile.
        fc.pre(!(name === 'participantId' && (id === '' || id === null)));
        fc.pre(!isUuid(id)); // a look-alike swap can land on the character it replaces
        const event = nested
          ? { ...ids, attributes: { compliance_checked: 'true' } }
          : { ...ids, compliance_checked: true };
        const before = counts();
        const result = await flagger.flag(event, invocation());
        expect(result.status).toBe('INVALID_INPUT');
        expectNothingSent(before);
      }),
      params(500),
    );
  },
  timeout(15_000, 500),
);

test('valid ids reach exactly the path they name, lower-cased, and nothing else', async () => {
  const { conversationId, participantId } = newConversation(h.genesys);
  const before = h.genesys.arrivals.length;
  const result = await flagger.flag(
    { conversationId: conversationId.toUpperCase(), participantId: participantId.toUpperCase(), risk_level: 'x' },
    invocation(),
  );
  expect(result.status).toBe('UPDATED');
  const paths = h.genesys.arrivals
    .slice(before)
    .filter((r) => r.route !== 'token')
    .map((r) => r.path);
  expect(paths).toEqual([`/api/v2/conversations/${conversationId}/participants/${participantId}/attributes`]);
});

test('no log line carries a hostile id, and no line can be split by one', () => {
  expect(logs.length).toBeGreaterThan(HOSTILE_IDS.length);
  const text = logs.join('\n');
  for (const [, id] of HOSTILE_IDS) if (id.length > 8) expect(text).not.toContain(id);
  // Attribute names are echoed to help the flow's author, but JSON-escaped: no raw CR, LF or NUL.
  for (const line of logs) expect(/[\r\n]/.test(line) || line.includes('\u0000')).toBe(false);
});
