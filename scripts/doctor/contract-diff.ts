/**
 * How a data action's contract, as Genesys returns it, differs from this repository's
 * (infra/contracts/flag-participant.*.json): property names, their `type`, and `required`. Titles,
 * descriptions and key order are not compared: Genesys may keep or drop them. Genesys's answer is
 * untrusted: only names shaped like a contract property name (a letter, then letters, digits, `_`
 * or `-`: Genesys's rule) are ever shown, a few at most.
 */

const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const TYPE = /^[a-z]{1,16}$/;
const MAX_NAMED = 4;

interface Shape {
  properties: Map<string, string>;
  required: Set<string>;
  /** Names that are not shaped like a property name: counted, never shown. */
  odd: number;
}

function shapeOf(schema: unknown): Shape | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const record = schema as Record<string, unknown>;
  const props = record.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return undefined;
  const properties = new Map<string, string>();
  let odd = 0;
  for (const [name, value] of Object.entries(props)) {
    if (!PROPERTY_NAME.test(name)) {
      odd += 1;
      continue;
    }
    const type = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).type : undefined;
    properties.set(name, typeof type === 'string' && TYPE.test(type) ? type : '?');
  }
  const required = new Set(
    Array.isArray(record.required)
      ? record.required.filter((r): r is string => typeof r === 'string' && PROPERTY_NAME.test(r))
      : [],
  );
  return { properties, required, odd };
}

function named(what: string, names: string[]): string {
  const shown = names.slice(0, MAX_NAMED).join(', ');
  return `${what} ${shown}${names.length > MAX_NAMED ? ` and ${names.length - MAX_NAMED} more` : ''}`;
}

/** What differs, in short phrases; empty when the two agree. `expected` is this repository's file. */
export function contractDifferences(expected: unknown, actual: unknown): string[] {
  const want = shapeOf(expected);
  if (!want) throw new Error('the repository contract has no properties');
  const got = shapeOf(actual);
  if (!got) return ['it has no readable contract'];
  const differences: string[] = [];
  const missing = [...want.properties.keys()].filter((name) => !got.properties.has(name));
  const extra = [...got.properties.keys()].filter((name) => !want.properties.has(name));
  const retyped = [...want.properties.entries()]
    .filter(([name, type]) => got.properties.has(name) && got.properties.get(name) !== type)
    .map(([name]) => name);
  if (missing.length > 0) differences.push(named('lacks', missing));
  if (extra.length > 0) differences.push(named('has extra', extra));
  if (got.odd > 0)
    differences.push(`has ${got.odd} propert${got.odd === 1 ? 'y' : 'ies'} with names no contract allows`);
  if (retyped.length > 0) differences.push(named('has another type for', retyped));
  const requiredDiffers =
    want.required.size !== got.required.size || [...want.required].some((name) => !got.required.has(name));
  if (requiredDiffers)
    differences.push(
      `requires ${[...got.required].slice(0, MAX_NAMED).join(', ') || 'nothing'} ` +
        `instead of ${[...want.required].join(', ') || 'nothing'}`,
    );
  return differences;
}
