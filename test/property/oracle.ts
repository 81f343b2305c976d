/**
 * An independent reading of the README's "The event" rules: what a valid event is, and the exact
 * string map that must then be sent. It deliberately shares no code with lib/core/flag-request.ts (no
 * regular expressions either): if the two disagree, one of them misreads the contract.
 *
 * Where the README leaves a detail open, the reading chosen here is written down:
 * - "letters" in attribute names are ASCII letters (a data action contract's property names are);
 * - lengths are counted in UTF-16 code units, as Genesys (Java) and JavaScript count characters;
 * - `participantPurpose` is a purpose name like `DEFAULT_PARTICIPANT_PURPOSE`: an ASCII letter, then
 *   up to 63 letters, digits, `_` or `-`; absent, `null` and `""` mean the default;
 * - an attribute name is checked even when its value is `null` (the key is still in the event), and
 *   so is its place in the contract;
 * - `null` values are skipped and do not count towards ATTR_MAX_COUNT;
 * - the contract's types, as docs/deploy.md words them: a string attribute takes strings; a boolean
 *   one `true`, `false` or those words as strings; an integer one a safe integer, or the decimal
 *   digits of one (an optional `-`, no leading zero, at most 16 digits); a number one a finite
 *   number, or a number as JSON writes it. Strings are sent as they are.
 */

export interface Limits {
  maxCount: number;
  maxKeyLength: number;
  maxValueLength: number;
  maxBodyBytes: number;
}

/** The defaults of the configuration table in docs/configuration.md. */
export const DEFAULT_LIMITS: Limits = { maxCount: 50, maxKeyLength: 128, maxValueLength: 256, maxBodyBytes: 32_768 };

export type Verdict =
  | {
      valid: true;
      conversationId: string;
      participantId?: string;
      purpose: string;
      /** What must be sent, in this order, as `{"attributes": ...}`. */
      attributes: Record<string, string>;
    }
  | { valid: false; why: string };

export type ContractType = 'string' | 'integer' | 'number' | 'boolean';

const ID_FIELDS = ['conversationId', 'participantId', 'participantPurpose'];
const RESERVED_FIELDS = ['orgId', 'integrationId', 'rawRequest'];

const HEX = '0123456789abcdefABCDEF';
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export function isUuid(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 36) return false;
  for (let i = 0; i < 36; i += 1) {
    const c = value.charAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== '-') return false;
    } else if (!HEX.includes(c)) return false;
  }
  return true;
}

export function isAttributeName(key: string, limits: Limits): boolean {
  if (key.length === 0 || key.length > limits.maxKeyLength) return false;
  if (!LETTERS.includes(key.charAt(0))) return false;
  for (const c of key.slice(1))
    if (!(LETTERS.includes(c) || DIGITS.includes(c) || c === '.' || c === '-' || c === '_')) return false;
  return true;
}

function isPurpose(value: string): boolean {
  if (value.length === 0 || value.length > 64 || !LETTERS.includes(value.charAt(0))) return false;
  for (const c of value.slice(1))
    if (!(LETTERS.includes(c) || DIGITS.includes(c) || c === '_' || c === '-')) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const absent = (value: unknown): boolean => value === undefined || value === null || value === '';

/** The README's conversion: strings as they are, numbers and booleans as strings, null skipped. */
export function asSent(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return `${value}`;
  return undefined; // objects, arrays, anything else: refused
}

const allDigits = (text: string): boolean => text.length > 0 && [...text].every((c) => DIGITS.includes(c));
/** Digits without a leading zero (a lone 0 is fine). */
const wholeDigits = (text: string): boolean => allDigits(text) && (text === '0' || text.charAt(0) !== '0');

function integerText(text: string): boolean {
  const digits = text.startsWith('-') ? text.slice(1) : text;
  return wholeDigits(digits) && digits.length <= 16;
}

/** JSON's number grammar: -? int (. digits)? ([eE] [+-]? digits)? */
function numberText(text: string): boolean {
  let rest = text.startsWith('-') ? text.slice(1) : text;
  let exponent = '';
  const e = Math.max(rest.indexOf('e'), rest.indexOf('E'));
  if (e >= 0) {
    exponent = rest.slice(e + 1);
    rest = rest.slice(0, e);
    if (exponent.startsWith('+') || exponent.startsWith('-')) exponent = exponent.slice(1);
    if (!allDigits(exponent)) return false;
  }
  const dot = rest.indexOf('.');
  const whole = dot >= 0 ? rest.slice(0, dot) : rest;
  const fraction = dot >= 0 ? rest.slice(dot + 1) : '';
  return wholeDigits(whole) && (dot < 0 || allDigits(fraction));
}

/** What is sent for a value of a contract type: a string, null (skipped), or undefined (refused). */
export function asSentAs(value: unknown, type: ContractType): string | null | undefined {
  if (value === null) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      if (value === true || value === 'true') return 'true';
      if (value === false || value === 'false') return 'false';
      return undefined;
    case 'integer':
      if (typeof value === 'number') return Number.isSafeInteger(value) ? `${value}` : undefined;
      return typeof value === 'string' && integerText(value) ? value : undefined;
    case 'number':
      if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : undefined;
      return typeof value === 'string' && numberText(value) ? value : undefined;
  }
}

/**
 * The contract under which `asSent` is the rule: each attribute key of the event typed after its
 * value (strings as string, booleans as boolean, safe integers as integer, other numbers as
 * number). What the event's keys are is read here as `judge` reads them.
 */
export function fittingContract(event: unknown): Map<string, ContractType> {
  const contract = new Map<string, ContractType>();
  for (const [key, value] of attributeEntries(event) ?? []) {
    const type: ContractType =
      typeof value === 'boolean'
        ? 'boolean'
        : typeof value === 'number'
          ? Number.isSafeInteger(value)
            ? 'integer'
            : 'number'
          : 'string';
    contract.set(key, type);
  }
  return contract;
}

/** The attribute entries of an event as judge reads them, or undefined when there is no list. */
export function attributeEntries(event: unknown): [string, unknown][] | undefined {
  if (!isObject(event)) return undefined;
  if (Object.hasOwn(event, 'attributes')) {
    const nested = event.attributes;
    return isObject(nested) ? Object.keys(nested).map((k) => [k, nested[k]]) : undefined;
  }
  return Object.keys(event)
    .filter((k) => !ID_FIELDS.includes(k) && !RESERVED_FIELDS.includes(k))
    .map((k) => [k, event[k]]);
}

/** `contract` undefined: the one that fits the event, so that only the other rules decide. */
export function judge(
  event: unknown,
  limits: Limits = DEFAULT_LIMITS,
  defaultPurpose = 'customer',
  contract: ReadonlyMap<string, ContractType> = fittingContract(event),
): Verdict {
  const no = (why: string): Verdict => ({ valid: false, why });
  if (!isObject(event)) return no('not an object');
  const own = (key: string): unknown => (Object.hasOwn(event, key) ? event[key] : undefined);

  const conversationId = own('conversationId');
  if (!isUuid(conversationId)) return no('conversationId');
  const participantId = own('participantId');
  if (!absent(participantId) && !isUuid(participantId)) return no('participantId');
  const purpose = own('participantPurpose');
  if (!absent(purpose) && !(typeof purpose === 'string' && isPurpose(purpose))) return no('participantPurpose');

  let entries: [string, unknown][];
  if (Object.hasOwn(event, 'attributes')) {
    const nested = event.attributes;
    if (!isObject(nested)) return no('attributes not an object');
    for (const key of Object.keys(event)) {
      if (key !== 'attributes' && !ID_FIELDS.includes(key) && !RESERVED_FIELDS.includes(key))
        return no(`unknown top-level ${key}`);
    }
    entries = Object.keys(nested).map((k) => [k, nested[k]]);
  } else {
    entries = Object.keys(event)
      .filter((k) => !ID_FIELDS.includes(k) && !RESERVED_FIELDS.includes(k))
      .map((k) => [k, event[k]]);
  }

  const attributes: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of entries) {
    if (!isAttributeName(key, limits)) return no(`name ${key}`);
    const type = contract.get(key);
    if (type === undefined) return no(`${key} not in the contract`);
    if (asSent(value) === undefined) return no(`value of ${key}`);
    const text = asSentAs(value, type);
    if (text === undefined) return no(`${key} not a ${type}`);
    if (text === null) continue;
    if (text.length > limits.maxValueLength) return no(`length of ${key}`);
    Object.defineProperty(attributes, key, { value: text, enumerable: true, writable: true, configurable: true });
    count += 1;
  }
  if (count === 0) return no('no attribute');
  if (count > limits.maxCount) return no('too many attributes');
  if (new TextEncoder().encode(JSON.stringify({ attributes })).length > limits.maxBodyBytes)
    return no('body too large');

  return {
    valid: true,
    conversationId: conversationId.toLowerCase(),
    ...(absent(participantId) ? {} : { participantId: (participantId as string).toLowerCase() }),
    purpose: absent(purpose) ? defaultPurpose : (purpose as string),
    attributes,
  };
}
