/**
 * The attribute contract compiled into the function (generated from infra/contracts/attributes.json;
 * contracts.test.ts checks the file is fresh, byte for byte). Here, what it exports: the same names
 * in the same order with the same types, none of them a name the request itself uses, and each one
 * taken by the parser with its type and refused with another.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT } from '../../lib/core/attribute-contract';
import { parseFlagRequest, RESERVED_KEYS, type AttributeType } from '../../lib/core/flag-request';
import { loadConfig } from '../../lib/config';

const source = JSON.parse(readFileSync(path.join(__dirname, '../../infra/contracts/attributes.json'), 'utf8')) as {
  attributes: { name: string; type: AttributeType }[];
};
const limits = (() => {
  const parsed = loadConfig({ GENESYS_CREDENTIALS_SECRET_ID: 'x' });
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.value.limits;
})();
const CONVERSATION = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';

test('CONTRACT is attributes.json: the same names, in order, with the same types', () => {
  expect([...CONTRACT.entries()]).toEqual(source.attributes.map((a) => [a.name, a.type]));
  expect(CONTRACT.size).toBeGreaterThan(0);
});

test('no attribute is named like a field of the request or of what Genesys adds to it', () => {
  for (const name of CONTRACT.keys()) {
    expect(RESERVED_KEYS.has(name)).toBe(false);
    expect(['conversationId', 'participantId', 'participantPurpose', 'attributes']).not.toContain(name);
  }
});

const sample: Record<AttributeType, { good: unknown; sent: string; bad: unknown }> = {
  string: { good: 'kba', sent: 'kba', bad: 7 },
  boolean: { good: true, sent: 'true', bad: 'yes' },
  integer: { good: 3, sent: '3', bad: 3.5 },
  number: { good: 2.5, sent: '2.5', bad: 'two' },
};

test.each([...CONTRACT.entries()])('%s (%s) is taken with its type and refused with another', (name, type) => {
  const { good, sent, bad } = sample[type];
  expect(parseFlagRequest({ conversationId: CONVERSATION, [name]: good }, limits, 'customer', CONTRACT)).toMatchObject({
    ok: true,
    value: { attributes: { [name]: sent } },
  });
  expect(parseFlagRequest({ conversationId: CONVERSATION, [name]: bad }, limits, 'customer', CONTRACT)).toMatchObject({
    ok: false,
  });
});

test('a name outside the contract is refused, even beside ones inside it', () => {
  const [name, type] = [...CONTRACT.entries()][0] ?? ['', 'string'];
  const event = { conversationId: CONVERSATION, [name]: sample[type].good, not_in_contract: 'x' };
  expect(parseFlagRequest(event, limits, 'customer', CONTRACT)).toEqual({
    ok: false,
    error: 'attribute "not_in_contract" is not in the attribute contract (infra/contracts/attributes.json)',
  });
});
