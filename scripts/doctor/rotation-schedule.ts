/**
 * When the token secret's next rotation comes, from what DescribeSecret says: AWS's
 * `NextRotationDate` when it gives one ("the next rotation is scheduled to occur on or before this
 * date", DescribeSecret in the Secrets Manager API reference); else the last rotation plus the
 * schedule's interval and window; else one interval and window from now. The interval and window are
 * read by the rotation function's own rotationSchedule (lib/rotation/rotation-schedule.ts), so the
 * doctor and the rotation read a schedule alike: `rate(n hours|days)` or `AutomaticallyAfterDays`,
 * never a cron expression.
 */
import type { SecretDescription } from '../../lib/aws/secret-versions';
import { rotationSchedule } from '../../lib/rotation/rotation-schedule';

export type RotationFacts = Omit<SecretDescription, 'versions'>;

export type NextRotation = { known: true; at: number; basis: string } | { known: false; reason: string };

/** A schedule expression as it may be shown: rate(...) or cron(...) of plain characters, else nothing. */
export function showableSchedule(expression: string | undefined): string | undefined {
  return expression !== undefined && /^(rate|cron)\([A-Za-z0-9 ,*?/#-]{1,100}\)$/.test(expression)
    ? expression
    : undefined;
}

/** The schedule for people: the expression when it can be shown, else `every n days`. */
function scheduleLabel(rules: RotationFacts['rotationRules']): string {
  const shown = showableSchedule(rules?.scheduleExpression);
  if (shown) return shown;
  const days = rules?.automaticallyAfterDays;
  return days === undefined ? 'the schedule' : `every ${days} day${days === 1 ? '' : 's'}`;
}

export function nextRotation(facts: RotationFacts, now: number): NextRotation {
  if (facts.nextRotationAt !== undefined && Number.isFinite(facts.nextRotationAt)) {
    return { known: true, at: facts.nextRotationAt, basis: 'NextRotationDate from Secrets Manager' };
  }
  const schedule = rotationSchedule(facts.rotationRules);
  if (!schedule) {
    const shown = showableSchedule(facts.rotationRules?.scheduleExpression);
    return {
      known: false,
      reason: shown ? `the schedule ${shown} is not read here` : 'the rotation rules hold no schedule that can be read',
    };
  }
  const label = `${scheduleLabel(facts.rotationRules)} in a ${schedule.windowMs / 3_600_000} h window`;
  if (facts.lastRotatedAt !== undefined && Number.isFinite(facts.lastRotatedAt)) {
    return {
      known: true,
      at: facts.lastRotatedAt + schedule.intervalMs + schedule.windowMs,
      basis: `last rotated ${new Date(facts.lastRotatedAt).toISOString()}, ${label}`,
    };
  }
  return {
    known: true,
    at: now + schedule.intervalMs + schedule.windowMs,
    basis: `${label}, from now: no rotation date is known`,
  };
}
