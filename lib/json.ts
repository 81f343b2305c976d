/** Parsing what other systems send: never throws, and only a JSON object counts as an object. */

export type JsonObject = Record<string, unknown>;

/** The parsed object, or undefined when `text` is not JSON or not an object (arrays and null included). */
export function parseJsonObject(text: string): JsonObject | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
}
