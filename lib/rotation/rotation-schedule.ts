/**
 * How long a token the rotation makes current must live: until the next rotation has replaced it.
 * Read from the secret's rotation rules as DescribeSecret reports them (`RotationRules`):
 * `ScheduleExpression` `rate(n hours|days)` or `AutomaticallyAfterDays`, and `Duration`, the window
 * in which Secrets Manager runs each rotation. Without a `Duration`, AWS closes the window after an
 * hour for a schedule in hours, and at the end of the UTC day for one in days (Secrets Manager API
 * reference, RotationRulesType).
 */

export interface RotationRules {
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
}

/** `intervalMs`: from one rotation's window to the next; `windowMs`: how late in its window a rotation may run. */
export interface RotationSchedule {
  intervalMs: number;
  windowMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Time to spare beyond the next rotation's window: Secrets Manager's own retries of a failed
 * step, and the flagging functions' cached secret (SECRET_CACHE_MAX_AGE_MS, 5 min) and token
 * refresh margin (TOKEN_REFRESH_MARGIN_MS, 1 min).
 */
export const ROTATION_SPARE_MS = HOUR_MS;

/** The schedule, or undefined when the rules name none this function can read (a cron expression). */
export function rotationSchedule(rules: RotationRules | undefined): RotationSchedule | undefined {
  if (!rules) return undefined;
  const rate = /^rate\(\s*(\d{1,4})\s+(hour|hours|day|days)\s*\)$/.exec(rules.scheduleExpression?.trim() ?? '');
  let intervalMs: number;
  let defaultWindowMs: number;
  if (rate) {
    const unit = rate[2]?.startsWith('hour') ? HOUR_MS : DAY_MS;
    intervalMs = Number(rate[1]) * unit;
    defaultWindowMs = unit === HOUR_MS ? HOUR_MS : DAY_MS;
  } else if (
    rules.scheduleExpression === undefined &&
    typeof rules.automaticallyAfterDays === 'number' &&
    rules.automaticallyAfterDays > 0
  ) {
    intervalMs = rules.automaticallyAfterDays * DAY_MS;
    defaultWindowMs = DAY_MS;
  } else {
    return undefined;
  }
  if (!(intervalMs > 0)) return undefined;
  const duration = /^(\d{1,2})h$/.exec(rules.duration?.trim() ?? '');
  return { intervalMs, windowMs: duration ? Number(duration[1]) * HOUR_MS : defaultWindowMs };
}

/** The least remaining life a token needs to be made current under `schedule`. */
export function requiredLifetimeMs(schedule: RotationSchedule): number {
  return schedule.intervalMs + schedule.windowMs + ROTATION_SPARE_MS;
}

/** `5 h 30 min`, `45 min`, `2 d 1 h`: durations as a person reads them in an error line. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const parts = [
    days > 0 ? `${days} d` : '',
    hours > 0 ? `${hours} h` : '',
    rest > 0 || minutes === 0 ? `${rest} min` : '',
  ];
  return parts.filter(Boolean).join(' ');
}
