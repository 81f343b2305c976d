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
 */
import type { AttributeLimits } from '../config';
import { parseGenesysId, type GenesysId } from '../genesys/ids';
import { PARTICIPANT_PURPOSE } from '../genesys/participants';

export interface FlagRequest {
  conversationId: GenesysId;
  /** Absent when the caller knows only the conversation: the participant is looked up by purpose. */
  participantId?: GenesysId;
  participantPurpose: string;
  /** Flat string map, exactly what is sent as `{"attributes": ...}`. */
  attributes: Record<string, string>;
}

export type RequestParse = { ok: true; request: FlagRequest } | { ok: false; reason: string };

/** Names Genesys itself puts into a data action's input; never attributes. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['orgId', 'integrationId', 'rawRequest']);
const ID_KEYS: ReadonlySet<string> = new Set(['conversationId', 'participantId', 'participantPurpose']);

/**
 * Attribute keys: the data action contract's rule for property names (a letter, then letters,
 * digits, `-`, `_`), plus `.` for namespaced keys such as `compliance.checked`. Nothing else, so a
 * key can never carry markup, control characters or prototype names like `__proto__`.
 */
const ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export function parseFlagRequest(event: unknown, limits: AttributeLimits, defaultPurpose: string): RequestParse {
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

  const attributes = collectAttributes(event, limits);
  if (!attributes.ok) return attributes;

  return {
    ok: true,
    request: {
      conversationId,
      ...(participantId === undefined ? {} : { participantId }),
      participantPurpose,
      attributes: attributes.value,
    },
  };
}

type Collected = { ok: true; value: Record<string, string> } | { ok: false; reason: string };

function collectAttributes(event: Record<string, unknown>, limits: AttributeLimits): Collected {
  let source: [string, unknown][];
  if ('attributes' in event) {
    const nested = event.attributes;
    if (!isPlainObject(nested)) return fail(`attributes must be an object of flat values, got ${describe(nested)}`);
    const unknown = Object.keys(event).filter((k) => k !== 'attributes' && !ID_KEYS.has(k) && !RESERVED_KEYS.has(k));
    if (unknown.length > 0) {
      return fail(`unknown top-level field ${quoteKey(unknown[0] ?? '')} next to "attributes" (put attributes inside "attributes")`);
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
        `attribute name ${quoteKey(key)} is invalid: it must start with a letter, hold only letters, digits, ".", "-" or "_", and have at most ${limits.maxKeyLength} characters`,
      );
    }
    if (value === null) continue; // a flow passes null for a variable it never set: skip that key
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = String(value);
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else return fail(`attribute ${quoteKey(key)} must be a string, number or boolean, got ${describe(value)}`);
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
  return { ok: true, value: attributes };
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

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
