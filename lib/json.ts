/** Parsing what other systems send: never throws, and only a JSON object counts as an object. */
import { err, ok, type Result } from './result';

export type JsonObject = Record<string, unknown>;

/** The parsed object, or undefined when `text` is not JSON or not an object (arrays and null included). */
export function parseJsonObject(text: string): JsonObject | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok) return undefined;
  const { value } = parsed;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** Any JSON value, or an error when `text` is not JSON. */
export function parseJson(text: string): Result<unknown, 'not JSON'> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return err('not JSON');
  }
}
