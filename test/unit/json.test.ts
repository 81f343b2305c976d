/**
 * Parsing what other systems send (secrets, Genesys bodies, queue messages, webhook bodies): never
 * throws, and says nothing of the text it refused. V8's own SyntaxError quotes the input, which can
 * be a secret string: only the fixed 'not JSON' may leave.
 */
import { parseJson, parseJsonObject } from '../../lib/json';

const SENTINEL = 'secret-sentinel-0b7e';

describe('parseJson', () => {
  test.each([
    ['{"a":1}', { a: 1 }],
    ['[1,"x"]', [1, 'x']],
    ['"text"', 'text'],
    ['42', 42],
    ['-0.5e3', -500],
    ['true', true],
    ['null', null],
    [' \n{"a":[]}\t', { a: [] }],
  ])('%s is JSON', (text, value) => {
    expect(parseJson(text)).toEqual({ ok: true, value });
  });

  test.each([
    ['empty', ''],
    ['whitespace only', '  \n'],
    ['undefined', 'undefined'],
    ['NaN', 'NaN'],
    ['single quotes', "{'a':1}"],
    ['a trailing comma', '{"a":1,}'],
    ['text after the value', '{"a":1} x'],
    ['a byte order mark', '\uFEFF{}'],
    ['cut short', '{"conversationId": "4f1c'],
    ['a bare word', SENTINEL],
    ['a key that is a secret', `{${SENTINEL}:1}`],
  ])('%s: not JSON, and the error quotes nothing of the text', (_case, text) => {
    const parsed = parseJson(text);
    expect(parsed).toEqual({ ok: false, error: 'not JSON' });
    expect(JSON.stringify(parsed)).not.toContain(SENTINEL);
  });

  test('deep nesting and a large document answer a result, never an exception', () => {
    const depth = 200_000;
    expect(() => parseJson('['.repeat(depth) + ']'.repeat(depth))).not.toThrow();
    expect(parseJson('['.repeat(depth))).toEqual({ ok: false, error: 'not JSON' });
    const big = JSON.stringify({ pad: 'x'.repeat(1_000_000) });
    expect(parseJson(big)).toEqual({ ok: true, value: { pad: 'x'.repeat(1_000_000) } });
  });
});

describe('parseJsonObject', () => {
  test('a JSON object is returned as parsed', () => {
    expect(parseJsonObject('{"a":{"b":[1]}}')).toEqual({ a: { b: [1] } });
    expect(parseJsonObject('{}')).toEqual({});
  });

  test.each([['[]'], ['[{"a":1}]'], ['null'], ['"{}"'], ['1'], ['true'], ['not json'], ['']])(
    '%s is not an object',
    (text) => {
      expect(parseJsonObject(text)).toBeUndefined();
    },
  );

  test('a "__proto__" key is an own property: the object and Object.prototype keep their prototypes', () => {
    const parsed = parseJsonObject('{"__proto__": {"polluted": true}, "detail": 1}');
    expect(parsed).toBeDefined();
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
