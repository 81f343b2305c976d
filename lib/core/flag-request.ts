/**
 * Event -> FlagRequest. Everything a caller sends is checked here, before any network call, so
 * bad input never reaches Genesys and always gets a reason a person can act on.
 *
 * Two shapes are accepted:
 * - flat (what an Architect data action sends, since input contracts cannot nest):
 *   `{"conversationId", "participantId"?, "participantPurpose"?, "<attr>": value, ...}`
 * - nested (queues, webhooks, programs):
 *   `{"conversationId", "participantId"?, "participantPurpose"?, "attributes": {...}}`;
 *   here an unknown top-level key is refused, so a typo cannot silently vanish.
 *
 * In both shapes an attribute is set only when the attribute contract names it (in production
 * infra/contracts/attributes.json, compiled in as ./attribute-contract.ts), and only with a value
 * of the contract's type: a producer cannot set an attribute the flows do not know, whichever door
 * it comes through.
 */
import { PARTICIPANT_PURPOSE, type AttributeLimits } from '../config';
import { parseGenesysId, type GenesysId } from '../genesys/ids';
import { err, ok, type Err, type Result } from '../result';

export interface FlagRequest {
  conversationId: GenesysId;
  /** Absent when the caller knows only the conversation: the participant is looked up by purpose. */
  participantId?: GenesysId;
  participantPurpose: string;
  /** Flat string map, exactly what is sent as `{"attributes": ...}`. */
  attributes: Record<string, string>;
}

export type RequestParse = Result<FlagRequest, string>;

/** The types a data action input contract gives a property; every value reaches Genesys as a string. */
export type AttributeType = 'string' | 'integer' | 'number' | 'boolean';
/**
 * The attributes a flag may set, by name, each with the type it must have. Production's is
 * infra/contracts/attributes.json, compiled in as ./attribute-contract.ts (`npm run contracts`).
 */
export type AttributeContract = ReadonlyMap<string, AttributeType>;

/** Names Genesys itself puts into a data action's input; never attributes. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['orgId', 'integrationId', 'rawRequest']);
const ID_KEYS: ReadonlySet<string> = new Set(['conversationId', 'participantId', 'participantPurpose']);

/**
 * Attribute keys: the data action contract's rule for property names (a letter, then letters,
 * digits, `-`, `_`), plus `.` for namespaced keys such as `compliance.checked`. Nothing else, so a
 * key can never carry markup, control characters or prototype names like `__proto__`.
 */
const ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export function parseFlagRequest(
  event: unknown,
  limits: AttributeLimits,
  defaultPurpose: string,
  contract: AttributeContract,
): RequestParse {
  if (!isPlainObject(event)) return fail(`the event must be a JSON object, got ${describe(event)}`);

  const conversationId = parseGenesysId(event.conversationId);
  if (!conversationId) return fail('conversationId must be a UUID');

  const rawParticipant = event.participantId;
  let participantId: GenesysId | undefined;
  if (rawParticipant !== undefined && rawParticipant !== null && rawParticipant !== '') {
    participantId = parseGenesysId(rawParticipant);
    if (!participantId) return fail('participantId must be a UUID, or empty to look the participant up by purpose');
  }

  const rawPurpose = event.participantPurpose;
  let participantPurpose = defaultPurpose;
  if (rawPurpose !== undefined && rawPurpose !== null && rawPurpose !== '') {
    if (typeof rawPurpose !== 'string' || !PARTICIPANT_PURPOSE.test(rawPurpose)) {
      return fail('participantPurpose must be a purpose name such as "customer"');
    }
    participantPurpose = rawPurpose;
  }

  const attributes = collectAttributes(event, limits, contract);
  if (!attributes.ok) return attributes;

  return ok({
    conversationId,
    ...(participantId === undefined ? {} : { participantId }),
    participantPurpose,
    attributes: attributes.value,
  });
}

type Collected = Result<Record<string, string>, string>;

function collectAttributes(
  event: Record<string, unknown>,
  limits: AttributeLimits,
  contract: AttributeContract,
): Collected {
  let source: [string, unknown][];
  if ('attributes' in event) {
    const nested = event.attributes;
    if (!isPlainObject(nested)) return fail(`attributes must be an object of flat values, got ${describe(nested)}`);
    const unknown = Object.keys(event).filter((k) => k !== 'attributes' && !ID_KEYS.has(k) && !RESERVED_KEYS.has(k));
    if (unknown.length > 0) {
      return fail(
        `unknown top-level field ${quoteKey(unknown[0] ?? '')} next to "attributes" ` +
          '(put attributes inside "attributes")',
      );
    }
    source = Object.entries(nested);
  } else {
    source = Object.entries(event).filter(([k]) => !ID_KEYS.has(k) && !RESERVED_KEYS.has(k));
  }

  const attributes: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of source) {
    if (!ATTRIBUTE_KEY.test(key) || key.length > limits.maxKeyLength) {
      return fail(
        `attribute name ${quoteKey(key)} is invalid: it must start with a letter, ` +
          `hold only letters, digits, ".", "-" or "_", and have at most ${limits.maxKeyLength} characters`,
      );
    }
    // Checked before a null is skipped: a name outside the contract is a producer's mistake (or
    // worse) whatever its value.
    const type = contract.get(key);
    if (type === undefined)
      return fail(`attribute ${quoteKey(key)} is not in the attribute contract (infra/contracts/attributes.json)`);
    if (value === null) continue; // a flow passes null for a variable it never set: skip that key
    const text = asContractType(value, type);
    if (text === undefined) {
      if (typeof value === 'object' || (typeof value === 'number' && !Number.isFinite(value))) {
        return fail(`attribute ${quoteKey(key)} must be a string, number or boolean, got ${describe(value)}`);
      }
      return fail(
        `attribute ${quoteKey(key)} must be ${TYPE_WORDS[type]}, as the attribute contract types it; ` +
          `got ${describe(value)}`,
      );
    }
    if (text.length > limits.maxValueLength) {
      return fail(`attribute ${quoteKey(key)} is longer than ${limits.maxValueLength} characters`);
    }
    attributes[key] = text;
    count += 1;
    if (count > limits.maxCount) return fail(`more than ${limits.maxCount} attributes`);
  }
  if (count === 0) return fail('no attribute to set: send at least one non-null attribute');

  const bodyBytes = Buffer.byteLength(JSON.stringify({ attributes }), 'utf8');
  if (bodyBytes > limits.maxBodyBytes) {
    return fail(`attributes take ${bodyBytes} bytes, more than the limit of ${limits.maxBodyBytes}`);
  }
  return ok(attributes);
}

const TYPE_WORDS: Record<AttributeType, string> = {
  string: 'a string',
  boolean: 'a boolean (true or false, or the string "true" or "false")',
  integer: 'an integer (a whole number, or a string of one)',
  number: 'a number (or a string of one, as JSON writes numbers)',
};
const INTEGER_TEXT = /^-?(0|[1-9][0-9]{0,15})$/;
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * The string sent for `value` when it has the contract's type, else undefined. A flow sends each
 * type as JSON does; the nested form (queues, webhooks) usually sends strings, so a boolean, an
 * integer or a number may also come as the string Genesys would store for it.
 */
function asContractType(value: unknown, type: AttributeType): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      if (typeof value === 'boolean') return String(value);
      return value === 'true' || value === 'false' ? value : undefined;
    case 'integer':
      if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
      return typeof value === 'string' && INTEGER_TEXT.test(value) ? value : undefined;
    case 'number':
      if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
      return typeof value === 'string' && NUMBER_TEXT.test(value) ? value : undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The JSON type of a value, never the value itself: values may be personal data. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Keys are echoed so the author can find them, but cut short and JSON-quoted (no control characters). */
function quoteKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

function fail(reason: string): Err<string> {
  return err(reason);
}
