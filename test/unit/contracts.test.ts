/**
 * The data action contracts under infra/contracts are what Genesys validates against: they must
 * follow Genesys's rules for contracts and agree with what the function accepts and returns.
 */
import input from '../../infra/contracts/flag-participant.input.json';
import output from '../../infra/contracts/flag-participant.output.json';
import flat from '../../events/identity-verified.json';
import nested from '../../events/identity-verified.nested.json';
import conversationOnly from '../../events/identity-verified.conversation-only.json';
import { loadConfig } from '../../lib/config';
import { parseFlagRequest, RESERVED_KEYS } from '../../lib/request';
import { FLAG_STATUSES, toResult } from '../../lib/result';

type Schema = { type: string | string[]; properties?: Record<string, Schema> };
const GENESYS_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const INPUT_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'null']);

test('the input contract is flat, with Genesys-legal names and types, and no reserved names', () => {
  for (const [name, schema] of Object.entries((input as Schema).properties ?? {})) {
    expect(name).toMatch(GENESYS_NAME);
    expect(RESERVED_KEYS.has(name)).toBe(false);
    for (const type of [schema.type].flat()) expect(INPUT_TYPES.has(type)).toBe(true);
    expect(schema.properties).toBeUndefined();
  }
  expect(JSON.stringify(input)).not.toContain('$ref');
});

test('the output contract is flat and lists exactly the fields of a result', () => {
  const result = toResult({ kind: 'updated' }, { attempts: 1, httpStatus: 202, elapsedMs: 5, requestId: 'r' });
  const properties = (output as Schema).properties ?? {};
  expect(Object.keys(properties).sort()).toEqual(Object.keys(result).sort());
  for (const [name, schema] of Object.entries(properties)) {
    const value = result[name as keyof typeof result];
    const expected = schema.type === 'integer' ? 'number' : schema.type;
    expect(typeof value).toBe(expected);
  }
  expect(output.description).toContain(FLAG_STATUSES.join(', '));
});

test('every example event in events/ is accepted by the function', () => {
  const parsed = loadConfig({ GENESYS_CREDENTIALS_SECRET_ID: 'x' });
  if (!parsed.ok) throw new Error(parsed.reason);
  for (const event of [flat, nested, conversationOnly]) {
    expect(parseFlagRequest(event, parsed.config.limits, 'customer')).toMatchObject({ ok: true });
  }
});

test('every input contract attribute field is sent as an attribute', () => {
  const parsed = loadConfig({ GENESYS_CREDENTIALS_SECRET_ID: 'x' });
  if (!parsed.ok) throw new Error(parsed.reason);
  const event = Object.fromEntries(
    Object.entries((input as Schema).properties ?? {}).map(([name, schema]) => {
      const type = [schema.type].flat()[0];
      if (name === 'conversationId') return [name, flat.conversationId];
      if (name === 'participantId') return [name, flat.participantId];
      if (name === 'participantPurpose') return [name, 'customer'];
      return [name, type === 'boolean' ? true : type === 'string' ? 'v' : 1];
    }),
  );
  const request = parseFlagRequest(event, parsed.config.limits, 'customer');
  expect(request.ok && Object.keys(request.request.attributes)).toEqual(['compliance_checked', 'verification_method', 'risk_level']);
});
