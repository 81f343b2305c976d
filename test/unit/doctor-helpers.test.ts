/**
 * The pure parts of `npm run doctor`: how a report is printed and bounded, the exit code, when the
 * next rotation comes, and how a data action's contract is compared with this repository's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contractDifferences } from '../../scripts/doctor/contract-diff';
import {
  clean,
  exitCode,
  FIX_MAX,
  formatJson,
  formatLines,
  MESSAGE_MAX,
  type CheckResult,
} from '../../scripts/doctor/report';
import { nextRotation, showableSchedule } from '../../scripts/doctor/rotation-schedule';

const check = (over: Partial<CheckResult>): CheckResult => ({
  id: 'config',
  name: 'configuration',
  required: true,
  outcome: 'pass',
  message: 'ok',
  ...over,
});

describe('clean: every shown text on one bounded line', () => {
  test('newlines, escape sequences and bidi overrides become spaces; runs of spaces one', () => {
    expect(clean('a\nb\r\n\tc \u001b[31mred\u001b[0m \u202eevil\u202c  end', 200)).toBe('a b c [31mred [0m evil end');
  });

  test('a longer text is cut, with an ellipsis, at the bound', () => {
    const cut = clean('x'.repeat(1000), 50);
    expect([...cut]).toHaveLength(50);
    expect(cut.endsWith('…')).toBe(true);
    expect(clean('short', 50)).toBe('short');
  });
});

describe('exitCode', () => {
  test('0 when every required check passed or warned, whatever the optional ones say', () => {
    expect(
      exitCode([
        check({}),
        check({ outcome: 'warn' }),
        check({ required: false, outcome: 'fail' }),
        check({ required: false, outcome: 'skipped' }),
      ]),
    ).toBe(0);
  });
  test('1 when a required check failed or could not run', () => {
    expect(exitCode([check({}), check({ outcome: 'fail' })])).toBe(1);
    expect(exitCode([check({}), check({ outcome: 'skipped' })])).toBe(1);
  });
});

describe('formatLines and formatJson', () => {
  const checks: CheckResult[] = [
    check({}),
    check({
      id: 'token-granted',
      name: 'token granted',
      outcome: 'fail',
      message: 'refused\nwith a second line',
      fix: 'do this',
    }),
    check({ id: 'lookup-permitted', name: 'lookup permitted', outcome: 'skipped', message: 'skipped: needs a token' }),
    check({
      id: 'data-action',
      name: 'data action',
      required: false,
      outcome: 'warn',
      message: 'm'.repeat(5000),
      fix: 'f'.repeat(5000),
    }),
  ];

  test('one line per check: mark, name, what was found, the fix when it did not pass; then a summary', () => {
    const lines = formatLines(checks);
    expect(lines.slice(0, 4).map((l) => l.slice(0, 2))).toEqual(['✓ ', '✗ ', '- ', '! ']);
    expect(lines[1]).toMatch(/^✗ token granted +refused with a second line {2}-> fix: do this$/);
    expect(lines[3]).toContain('data action (optional)');
    expect(lines[0]).not.toContain('fix');
    for (const line of lines)
      expect(line.length).toBeLessThanOrEqual(2 + 26 + 1 + MESSAGE_MAX + '  -> fix: '.length + FIX_MAX);
    expect(lines.at(-1)).toBe(
      '1 required check failed and 1 could not run: fix what the first ✗ says, then run npm run doctor again.',
    );
  });

  test('a run where every required check passed says so, and points at the warnings', () => {
    expect(formatLines([check({}), check({ outcome: 'warn', required: false })]).at(-1)).toBe(
      'Every required check passed (read the line marked !): the function can flag with this setup.',
    );
  });

  test('JSON: an array of checks with every field, fix null when there is none, texts bounded', () => {
    const parsed = JSON.parse(formatJson(checks)) as Record<string, unknown>[];
    expect(parsed).toHaveLength(4);
    expect(parsed[0]).toEqual({
      id: 'config',
      name: 'configuration',
      required: true,
      outcome: 'pass',
      message: 'ok',
      fix: null,
    });
    expect(parsed[1]).toMatchObject({ outcome: 'fail', message: 'refused with a second line', fix: 'do this' });
    expect(String(parsed[3]?.message).length).toBe(MESSAGE_MAX);
    expect(String(parsed[3]?.fix).length).toBe(FIX_MAX);
  });
});

describe('the next rotation', () => {
  const HOUR = 3_600_000;
  const now = Date.parse('2030-01-01T00:00:00Z');

  test("AWS's NextRotationDate wins, whatever the rules say", () => {
    const next = now + 3 * HOUR;
    expect(
      nextRotation(
        {
          rotationEnabled: true,
          rotationRules: { scheduleExpression: 'cron(0 8 * * ? *)' },
          nextRotationAt: next,
          lastRotatedAt: now - HOUR,
        },
        now,
      ),
    ).toEqual({
      known: true,
      at: next,
      basis: 'NextRotationDate from Secrets Manager',
    });
  });

  test('without it: the last rotation plus the interval and window, read as the rotation function reads them', () => {
    // rate(4 hours): AWS closes the window after an hour unless Duration says otherwise.
    expect(
      nextRotation(
        { rotationEnabled: true, rotationRules: { scheduleExpression: 'rate(4 hours)' }, lastRotatedAt: now - HOUR },
        now,
      ),
    ).toEqual({
      known: true,
      at: now + 4 * HOUR,
      basis: 'last rotated 2029-12-31T23:00:00.000Z, rate(4 hours) in a 1 h window',
    });
    expect(
      nextRotation(
        { rotationEnabled: true, rotationRules: { automaticallyAfterDays: 2, duration: '3h' }, lastRotatedAt: now },
        now,
      ),
    ).toEqual({
      known: true,
      at: now + 51 * HOUR,
      basis: 'last rotated 2030-01-01T00:00:00.000Z, every 2 days in a 3 h window',
    });
  });

  test('without a rotation date: an interval and window from now, and it says so', () => {
    expect(nextRotation({ rotationEnabled: true, rotationRules: { scheduleExpression: 'rate(1 day)' } }, now)).toEqual({
      known: true,
      at: now + 48 * HOUR,
      basis: 'rate(1 day) in a 24 h window, from now: no rotation date is known',
    });
  });

  test('a schedule that cannot be read is said so, and shown only when it is plainly a schedule', () => {
    expect(
      nextRotation({ rotationEnabled: true, rotationRules: { scheduleExpression: 'cron(0 8 1,15 * ? *)' } }, now),
    ).toEqual({ known: false, reason: 'the schedule cron(0 8 1,15 * ? *) is not read here' });
    expect(
      nextRotation({ rotationEnabled: true, rotationRules: { scheduleExpression: 'cron(<script>)' } }, now),
    ).toEqual({ known: false, reason: 'the rotation rules hold no schedule that can be read' });
    expect(nextRotation({ rotationEnabled: true }, now)).toEqual({
      known: false,
      reason: 'the rotation rules hold no schedule that can be read',
    });
    expect(showableSchedule(`rate(${'9'.repeat(200)} days)`)).toBeUndefined();
    expect(showableSchedule('rate(4 hours)\nsecond line')).toBeUndefined();
    expect(showableSchedule('rate(4 hours)')).toBe('rate(4 hours)');
  });
});

describe("a data action's contract against this repository's", () => {
  const read = (name: string): unknown =>
    JSON.parse(readFileSync(path.join(__dirname, '../../infra/contracts', name), 'utf8')) as unknown;
  const input = read('flag-participant.input.json') as { properties: Record<string, unknown>; required: string[] };
  const output = read('flag-participant.output.json');

  test('the same contract, even without titles and descriptions, does not differ', () => {
    expect(contractDifferences(input, input)).toEqual([]);
    expect(contractDifferences(output, output)).toEqual([]);
    const bare = {
      type: 'object',
      required: [...input.required],
      properties: Object.fromEntries(
        Object.entries(input.properties).map(([k, v]) => [k, { type: (v as { type: string }).type }]),
      ),
    };
    expect(contractDifferences(input, bare)).toEqual([]);
  });

  test('missing, extra and retyped properties and another required list are each named', () => {
    const { risk_level: _dropped, ...rest } = input.properties;
    const changed = {
      ...input,
      required: ['conversationId', 'participantId'],
      properties: { ...rest, compliance_checked: { type: 'string' }, extra_one: { type: 'string' } },
    };
    expect(contractDifferences(input, changed)).toEqual([
      'lacks risk_level',
      'has extra extra_one',
      'has another type for compliance_checked',
      'requires conversationId, participantId instead of conversationId',
    ]);
  });

  test("Genesys's answer is untrusted: odd names are counted, never shown; lists are cut short", () => {
    const hostile = {
      required: ['<script>', 'conversationId'],
      properties: {
        ...input.properties,
        '<img src=x>': { type: 'string' },
        'sentinel value 1': { type: 'string' },
        ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`extra${i}`, { type: 'x'.repeat(100) }])),
      },
    };
    const differences = contractDifferences(input, hostile);
    expect(differences).toEqual([
      'has extra extra0, extra1, extra2, extra3 and 5 more',
      'has 2 properties with names no contract allows',
    ]);
    expect(contractDifferences(input, { properties: 'none' })).toEqual(['it has no readable contract']);
    expect(contractDifferences(input, undefined)).toEqual(['it has no readable contract']);
  });
});
