/**
 * When the token secret's next rotation comes, from what DescribeSecret says (untrusted like any
 * other answer): AWS's `NextRotationDate` when it gives one ("the next rotation is scheduled to occur
 * on or before this date", DescribeSecret in the Secrets Manager API reference), else the last
 * rotation plus the schedule's interval, else one interval from now. Only what can be read for
 * certain is used: `rate(N hours|days)` and `AutomaticallyAfterDays`; a `cron(...)` schedule is not
 * evaluated here.
 */

export interface RotationFacts {
  rotationEnabled: boolean;
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  /** The rotation window, e.g. `3h`. */
  duration?: string;
  lastRotatedAt?: number;
  nextRotationAt?: number;
}

export type NextRotation =
  | { known: true; at: number; basis: string }
  | { known: false; reason: string };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A schedule expression as it may be shown: rate(...) or cron(...) of plain characters, else nothing. */
export function showableSchedule(expression: string | undefined): string | undefined {
  return expression !== undefined && /^(rate|cron)\([A-Za-z0-9 ,*?/#-]{1,100}\)$/.test(expression) ? expression : undefined;
}

/** The interval of `rate(N hours)` or `rate(N days)` (Secrets Manager's rate units), or of `AutomaticallyAfterDays`. */
export function rotationInterval(facts: Pick<RotationFacts, 'automaticallyAfterDays' | 'scheduleExpression'>): { ms: number; label: string } | undefined {
  const rate = /^rate\((\d{1,4}) (hour|hours|day|days)\)$/.exec(facts.scheduleExpression ?? '');
  if (rate) {
    const n = Number(rate[1]);
    if (n >= 1) return { ms: n * (rate[2]?.startsWith('hour') ? HOUR : DAY), label: facts.scheduleExpression ?? '' };
  }
  // A schedule expression wins; AutomaticallyAfterDays is read only without one.
  if (facts.scheduleExpression !== undefined) return undefined;
  const days = facts.automaticallyAfterDays;
  if (days !== undefined && Number.isInteger(days) && days >= 1 && days <= 1000) return { ms: days * DAY, label: `every ${days} day${days === 1 ? '' : 's'}` };
  return undefined;
}

/** The rotation window `Nh` (1 to 24 hours), during which a scheduled rotation may run; 0 when absent or unreadable. */
function windowMs(duration: string | undefined): number {
  const match = /^(\d{1,2})h$/.exec(duration ?? '');
  const hours = match ? Number(match[1]) : 0;
  return hours >= 1 && hours <= 24 ? hours * HOUR : 0;
}

export function nextRotation(facts: RotationFacts, now: number): NextRotation {
  if (facts.nextRotationAt !== undefined && Number.isFinite(facts.nextRotationAt)) {
    return { known: true, at: facts.nextRotationAt, basis: 'NextRotationDate from Secrets Manager' };
  }
  const interval = rotationInterval(facts);
  if (!interval) {
    const shown = showableSchedule(facts.scheduleExpression);
    return { known: false, reason: shown ? `the schedule ${shown} is not read here` : 'the rotation rules hold no schedule that can be read' };
  }
  const window = windowMs(facts.duration);
  if (facts.lastRotatedAt !== undefined && Number.isFinite(facts.lastRotatedAt)) {
    return {
      known: true,
      at: facts.lastRotatedAt + interval.ms + window,
      basis: `last rotated ${new Date(facts.lastRotatedAt).toISOString()}, ${interval.label}${window ? ` within a ${facts.duration ?? ''} window` : ''}`,
    };
  }
  return { known: true, at: now + interval.ms + window, basis: `${interval.label} from now, as no rotation date is known` };
}
