/**
 * Only a UUID becomes a GenesysId, the one type a request path accepts: whatever arrives (from the
 * event, from a lookup's reply) cannot steer a URL with `..`, `/`, `?`, a newline or a huge string.
 */
import { parseGenesysId } from '../../lib/genesys/ids';

const UUID = '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51';

test('a UUID is accepted, in lower case whatever case it came in', () => {
  expect(parseGenesysId(UUID)).toBe(UUID);
  expect(parseGenesysId(UUID.toUpperCase())).toBe(UUID);
  expect(parseGenesysId('4F1C7C36-2d39-4A0E-9a6c-0D1F3C2B9E51')).toBe(UUID);
  // The format is what matters, not the version: the nil UUID is one too.
  expect(parseGenesysId('00000000-0000-0000-0000-000000000000')).toBe('00000000-0000-0000-0000-000000000000');
});

test.each([
  ['one character short', UUID.slice(1)],
  ['one character long', `${UUID}0`],
  ['a trailing newline', `${UUID}\n`],
  ['a leading space', ` ${UUID}`],
  ['a trailing space', `${UUID} `],
  ['braces', `{${UUID}}`],
  ['no dashes', UUID.replace(/-/g, '')],
  ['a dash moved', '4f1c7c362-d39-4a0e-9a6c-0d1f3c2b9e51'],
  ['a letter past f', UUID.replace('4f1c', '4g1c')],
  ['a path after it', `${UUID}/../../users`],
  ['a path before it', `../${UUID}`],
  ['a query after it', `${UUID}?expand=all`],
  ['an encoded slash', `${UUID}%2F`],
  ['full-width digits', UUID.replace('4', '\uFF14')],
  ['empty', ''],
  ['5,000 characters', 'a'.repeat(5000)],
])('%s is refused', (_case, value) => {
  expect(parseGenesysId(value)).toBeUndefined();
});

test.each([
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an array holding a UUID', [UUID]],
  ['an object that prints as a UUID', { toString: () => UUID }],
  ['a String object', new String(UUID)],
])('%s is not a string: refused', (_case, value) => {
  expect(parseGenesysId(value)).toBeUndefined();
});
