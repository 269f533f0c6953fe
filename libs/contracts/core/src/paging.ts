import { z } from 'zod';

/** DESIGN §5: lists page with `limit` (default 100, max 1,000) and an opaque cursor. */
export const PAGE_LIMIT_DEFAULT = 100;
export const PAGE_LIMIT_MAX = 1000;
export const PageLimit = z.number().int().min(1).max(PAGE_LIMIT_MAX);

/**
 * One page of a keyset-paged query as services answer it: `after` is the sort key of the last item,
 * present while more items match. The gateway turns it into an opaque cursor and a `next` link.
 */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), after: z.string().nullable() });
