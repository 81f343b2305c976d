import {
  formatDuration,
  requiredLifetimeMs,
  ROTATION_SPARE_MS,
  rotationSchedule,
} from '../../lib/rotation/rotation-schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('rotationSchedule: RotationRules as DescribeSecret reports them', () => {
  test('a rate in hours: that interval, and a one-hour window unless Duration says otherwise', () => {
    expect(rotationSchedule({ scheduleExpression: 'rate(4 hours)' })).toEqual({ intervalMs: 4 * HOUR, windowMs: HOUR });
    expect(rotationSchedule({ scheduleExpression: 'rate(1 hour)', duration: '1h' })).toEqual({
      intervalMs: HOUR,
      windowMs: HOUR,
    });
    expect(rotationSchedule({ scheduleExpression: 'rate(12 hours)', duration: '3h' })).toEqual({
      intervalMs: 12 * HOUR,
      windowMs: 3 * HOUR,
    });
  });

  test(
    'a rate in days, or AutomaticallyAfterDays: ' +
      'the window closes at the end of the UTC day unless Duration says otherwise',
    () => {
      expect(rotationSchedule({ scheduleExpression: 'rate(10 days)' })).toEqual({
        intervalMs: 10 * DAY,
        windowMs: DAY,
      });
      expect(rotationSchedule({ automaticallyAfterDays: 30 })).toEqual({ intervalMs: 30 * DAY, windowMs: DAY });
      expect(rotationSchedule({ automaticallyAfterDays: 7, duration: '4h' })).toEqual({
        intervalMs: 7 * DAY,
        windowMs: 4 * HOUR,
      });
      // DescribeSecret may report both for a rate in days: the expression wins.
      expect(rotationSchedule({ scheduleExpression: 'rate(2 days)', automaticallyAfterDays: 2 })).toEqual({
        intervalMs: 2 * DAY,
        windowMs: DAY,
      });
    },
  );

  test('what it cannot read is no schedule: none, a cron expression, nonsense', () => {
    for (const rules of [
      undefined,
      {},
      { scheduleExpression: 'cron(0 8 * * ? *)' },
      { scheduleExpression: 'cron(0 8 * * ? *)', automaticallyAfterDays: 1 },
      { scheduleExpression: 'rate(0 hours)' },
      { scheduleExpression: 'rate(4 minutes)' },
      { automaticallyAfterDays: 0 },
      { scheduleExpression: 'rate(99999 days)' },
    ]) {
      expect(rotationSchedule(rules)).toBeUndefined();
    }
  });

  test('a Duration that is not whole hours is ignored: the default window applies', () => {
    expect(rotationSchedule({ scheduleExpression: 'rate(4 hours)', duration: '90m' })).toEqual({
      intervalMs: 4 * HOUR,
      windowMs: HOUR,
    });
  });
});

test('a token must outlive the interval, the window and the spare hour', () => {
  expect(requiredLifetimeMs({ intervalMs: 4 * HOUR, windowMs: HOUR })).toBe(5 * HOUR + ROTATION_SPARE_MS);
  expect(ROTATION_SPARE_MS).toBe(HOUR);
});

test('formatDuration writes what a person reads, to the nearest minute', () => {
  expect(formatDuration(6 * HOUR)).toBe('6 h');
  expect(formatDuration(2 * HOUR - 3)).toBe('2 h');
  expect(formatDuration(DAY + HOUR + 30 * 60_000)).toBe('1 d 1 h 30 min');
  expect(formatDuration(45 * 60_000)).toBe('45 min');
  expect(formatDuration(0)).toBe('0 min');
  expect(formatDuration(-5)).toBe('0 min');
});
