/** The date options the export and the stats share: `--from` and `--to`, parsed and checked the same way. */
import { InvalidArgumentError } from 'commander';
import { UsageError } from './command-io.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` (a whole day, UTC) or an ISO-8601 time with a zone; `dayEnd` turns a date into the next midnight. */
export function dateParser(dayEnd: boolean): (value: string) => Date {
  return (value) => {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (day) {
      const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
      const start = new Date(Date.UTC(year, month - 1, date));
      if (start.getUTCMonth() !== month - 1 || start.getUTCDate() !== date) {
        throw new InvalidArgumentError('no such day');
      }
      return dayEnd ? new Date(start.getTime() + DAY_MS) : start;
    }
    const time = new Date(value);
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value) ||
      Number.isNaN(time.getTime())
    ) {
      throw new InvalidArgumentError(
        'expected a date (YYYY-MM-DD) or an ISO-8601 time with a zone (2026-11-25T08:00:00Z)',
      );
    }
    return time;
  };
}

/** Refuses a period that ends before it starts (exit code 2). */
export function periodOrder(from: Date | undefined, to: Date | undefined): void {
  if (from !== undefined && to !== undefined && from >= to) {
    throw new UsageError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  }
}
