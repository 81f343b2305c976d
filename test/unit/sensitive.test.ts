/**
 * A Sensitive value must not come out as text by any of the ways JavaScript turns a value into
 * text, while the code that sends it still gets it whole.
 */
import { format, inspect } from 'node:util';
import { REDACTED, type Sensitive, sensitive } from '../../lib/sensitive';

const SECRET = 'sentinel-sensitive-3c9a';

test('reveal gives the value back whole', () => {
  expect(sensitive(SECRET).reveal()).toBe(SECRET);
  expect(sensitive('').reveal()).toBe('');
});

test.each<[string, (s: Sensitive) => string]>([
  ['JSON.stringify', (s) => JSON.stringify({ nested: { s }, list: [s] })],
  ['String()', (s) => String(s)],
  ['a template literal', (s) => `Bearer ${s}`],
  // biome-ignore lint/style/useTemplate: concatenation is the case under test
  ['concatenation', (s) => 'Bearer ' + s],
  ['util.inspect (what console.log uses)', (s) => inspect({ deep: { deeper: { s } } }, { depth: 10 })],
  ['util.format %s %o %O %j', (s) => format('%s %o %O %j', s, s, s, { s })],
  ['an Error message', (s) => new Error(`failed with ${s}`).message],
])('%s never shows the value', (_how, render) => {
  const text = render(sensitive(SECRET));
  expect(text).not.toContain(SECRET);
  expect(text).toContain(REDACTED);
});

test('it has no enumerable property a spread or Object.entries could copy the value out of', () => {
  const s = sensitive(SECRET);
  expect(Object.keys(s)).toEqual([]);
  expect(Object.getOwnPropertyNames(s)).toEqual([]);
  expect(JSON.stringify({ ...s })).toBe('{}');
  // A holder spread into a new object keeps the instance, so the value survives where it should.
  const token = { value: s, apiBaseUrl: 'https://api.example' };
  expect({ ...token }.value.reveal()).toBe(SECRET);
});

test('equals compares the values; nothing equals undefined', () => {
  expect(sensitive(SECRET).equals(sensitive(SECRET))).toBe(true);
  expect(sensitive(SECRET).equals(sensitive(`${SECRET}x`))).toBe(false);
  expect(sensitive(SECRET).equals(undefined)).toBe(false);
});

test("tests compare Sensitive values by what they hold (the suite's equality tester)", () => {
  expect({ token: sensitive(SECRET) }).toEqual({ token: sensitive(SECRET) });
  expect({ token: sensitive(SECRET) }).not.toEqual({ token: sensitive('another') });
  expect(sensitive(SECRET)).not.toEqual(SECRET);
});
