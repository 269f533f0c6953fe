import { EXPORT_WINDOW_MAX_DAYS, type ExportFilter } from '@meridian/contracts/exports';

const DAY_MS = 86_400_000;

/**
 * What is wrong with a filter on its own (without the database), or null: `to` not after `from`,
 * a window longer than `maxDays`, both a bbox and a zone. Pure: exported for tests.
 */
export function filterProblem(filter: ExportFilter, maxDays = EXPORT_WINDOW_MAX_DAYS): string | null {
  const from = Date.parse(filter.from);
  const to = Date.parse(filter.to);
  if (!(to > from)) return '`to` must be after `from`';
  if (to - from > maxDays * DAY_MS) return `the window is longer than ${maxDays} days`;
  if (filter.bbox && filter.zoneId) return 'give either `bbox` or `zoneId`, not both';
  return null;
}
