/**
 * A value no log line, error message or returned status may show: a secret's string, an OAuth
 * client secret, an access token, the webhook's bearer token. It prints as "[redacted]" however it
 * is turned into text (JSON.stringify, String(), a template literal, util.inspect and so console),
 * so a value picked up by mistake shows only that; the code that must send or compare the value
 * calls `reveal()` where it does. The logger needs no list of field names to hide.
 */
export const REDACTED = '[redacted]';

export class Sensitive {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself, for the one place that sends or checks it. */
  reveal(): string {
    return this.#value;
  }

  /** Plain equality, for telling versions apart; not constant-time, so never for checking a caller's token. */
  equals(other: Sensitive | undefined): boolean {
    return other !== undefined && this.#value === other.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Sensitive(${REDACTED})`;
  }
}

export function sensitive(value: string): Sensitive {
  return new Sensitive(value);
}
