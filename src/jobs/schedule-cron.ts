/**
 * Cron expressions of schedules, read by croner: validation with a message naming the
 * field at fault, and the next fire time. Sub-minute expressions are refused: a
 * schedule firing every few seconds would flood the crawler with jobs.
 */
import { Cron } from 'croner';

/** A cron expression or time zone a schedule cannot use; `field` is `cron` or `timezone`. */
export class ScheduleInputError extends Error {
  readonly code = 'schedule_input';
  constructor(
    readonly field: 'cron' | 'timezone',
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleInputError';
  }
}

function cronOf(expression: string, timezone: string): Cron {
  try {
    // Intl knows the IANA names; croner would only fail later, on a date.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ScheduleInputError(
      'timezone',
      `unknown time zone ${JSON.stringify(timezone)} (IANA names, e.g. Europe/Paris)`,
    );
  }
  const parts = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && parts.length === 7) {
    throw new ScheduleInputError(
      'cron',
      'expected 5 fields (minute hour day month weekday), or 6 with a leading seconds field',
    );
  }
  if (parts.length === 6 && !/^\d{1,2}$/.test(parts[0]!)) {
    throw new ScheduleInputError(
      'cron',
      'sub-minute schedules are refused (they would flood the crawler): the seconds field must be a single number, e.g. 0',
    );
  }
  try {
    return new Cron(expression, { timezone, paused: true });
  } catch (err) {
    throw new ScheduleInputError(
      'cron',
      `not a cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`,
    );
  }
}

/** Throws ScheduleInputError unless `expression` fires (at most once a minute) in `timezone`. */
export function checkCron(expression: string, timezone: string, now: number): void {
  if (nextRunAfter(expression, timezone, now) === null) {
    throw new ScheduleInputError('cron', 'the expression never fires');
  }
}

/** Epoch ms of the first fire strictly after `after`; null when it never fires again. */
export function nextRunAfter(expression: string, timezone: string, after: number): number | null {
  const cron = cronOf(expression, timezone);
  const next = cron.nextRun(new Date(after));
  cron.stop();
  return next === null ? null : next.getTime();
}
