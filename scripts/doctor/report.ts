/**
 * The doctor's report: one result per check, printed as one bounded line each or as JSON, and the
 * exit code that follows from them. Every piece of text passes through `clean` before it is shown,
 * whatever built it, so no upstream answer can add lines, control sequences or unbounded length.
 */

export type Outcome = 'pass' | 'fail' | 'skipped' | 'warn';

export type CheckId =
  | 'config'
  | 'secret-readable'
  | 'secret-well-formed'
  | 'environment'
  | 'token-granted'
  | 'token-live'
  | 'token-rotation'
  | 'lookup-permitted'
  | 'patch-permitted'
  | 'region-pairing'
  | 'data-action';

export interface CheckResult {
  id: CheckId;
  /** For people: what the line is about. */
  name: string;
  /** A required check that does not pass (or warn) fails the run; an optional one never does. */
  required: boolean;
  /**
   * `pass`; `warn`: nothing points at a fault, but the check could not prove everything (read the
   * message); `fail`; `skipped`: not run, the message says what it needs.
   */
  outcome: Outcome;
  message: string;
  /** What to do, for a `fail` or `warn`. */
  fix?: string;
}

export const MESSAGE_MAX = 320;
export const FIX_MAX = 320;
const NAME_WIDTH = 26;

/**
 * `text` on one line, at most `max` characters: control and format characters (newlines, escape
 * sequences, bidi overrides) become spaces, runs of spaces one, and a longer text ends in "…".
 */
export function clean(text: string, max: number): string {
  const flat = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** 0 when every required check passed or warned; 1 otherwise. */
export function exitCode(checks: readonly CheckResult[]): 0 | 1 {
  return checks.some((c) => c.required && (c.outcome === 'fail' || c.outcome === 'skipped')) ? 1 : 0;
}

const MARKS: Record<Outcome, string> = { pass: '✓', fail: '✗', warn: '!', skipped: '-' };

/** One line per check: mark, name, what was found, and the fix when there is one. */
export function formatLines(checks: readonly CheckResult[]): string[] {
  const lines = checks.map((c) => {
    const name = clean(`${c.name}${c.required ? '' : ' (optional)'}`, NAME_WIDTH).padEnd(NAME_WIDTH);
    const fix = c.fix && c.outcome !== 'pass' ? `  -> fix: ${clean(c.fix, FIX_MAX)}` : '';
    return `${MARKS[c.outcome]} ${name} ${clean(c.message, MESSAGE_MAX)}${fix}`;
  });
  const failed = checks.filter((c) => c.required && c.outcome === 'fail').length;
  const skipped = checks.filter((c) => c.required && c.outcome === 'skipped').length;
  const warned = checks.filter((c) => c.outcome === 'warn').length;
  lines.push('');
  if (failed === 0 && skipped === 0) {
    lines.push(
      `Every required check passed${warned > 0 ? ` (read the ${warned === 1 ? 'line' : 'lines'} marked !)` : ''}: ` +
        'the function can flag with this setup.',
    );
  } else {
    const notRun = skipped > 0 ? ` and ${skipped} could not run` : '';
    lines.push(
      `${failed} required check${failed === 1 ? '' : 's'} failed${notRun}: fix what the first ✗ says, ` +
        'then run npm run doctor again.',
    );
  }
  return lines;
}

/** The machine-readable report: an array of checks, each with every field (`fix` null when none). */
export function formatJson(checks: readonly CheckResult[]): string {
  return JSON.stringify(
    checks.map((c) => ({
      id: c.id,
      name: c.name,
      required: c.required,
      outcome: c.outcome,
      message: clean(c.message, MESSAGE_MAX),
      fix: c.fix === undefined ? null : clean(c.fix, FIX_MAX),
    })),
    null,
    2,
  );
}
