/**
 * Genesys conversation and participant ids are UUIDs. Only a value that passed `parseGenesysId`
 * has the `GenesysId` type, and only a `GenesysId` can be put into a request path: an id from the
 * event, from a lookup's reply or from anywhere else cannot reach a URL unchecked (`..`, `/`, a
 * 5,000-character string) whatever its source.
 */
declare const brand: unique symbol;
export type GenesysId = string & { readonly [brand]: 'GenesysId' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id in lower case when `value` is a UUID, else undefined. */
export function parseGenesysId(value: unknown): GenesysId | undefined {
  return typeof value === 'string' && UUID.test(value) ? (value.toLowerCase() as GenesysId) : undefined;
}
