import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '@meridian/contracts/core';
import { invalid } from './problem';

/** Query parameters every list takes (DESIGN §5). */
export const pageParams = {
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  cursor: z.string().max(1024).optional(),
};

export interface Link {
  readonly rel: string;
  readonly href: string;
  readonly type?: string;
}

const fingerprint = (query: string): string => createHash('sha256').update(query).digest('base64url').slice(0, 16);

/**
 * An opaque cursor: the sort key of the last item returned, bound to the query it pages (a cursor
 * of another query is refused rather than silently paging something else).
 */
export function encodeCursor(after: string, query: string): string {
  return Buffer.from(JSON.stringify({ a: after, q: fingerprint(query) })).toString('base64url');
}

export function decodeCursor(cursor: string, query: string): string {
  try {
    const parsed = z
      .object({ a: z.string().min(1), q: z.string() })
      .parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.q === fingerprint(query)) return parsed.a;
  } catch {
    // falls through to the refusal below
  }
  throw invalid(ErrorCodes.cursorInvalid, 'cursor: not a cursor of this query; follow the `next` link as given');
}

/** `href` of a page of `path` with these query parameters, under the gateway's public URL. */
export function pageHref(baseUrl: string, path: string, params: Readonly<Record<string, string | undefined>>): string {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * The `links` of one page (DESIGN §5): `self`, and `next` (a cursor bound to `scope`) while more
 * items match. `params` are the query's own parameters, repeated in every link.
 */
export function pageLinks(
  baseUrl: string,
  path: string,
  params: Readonly<Record<string, string | undefined>>,
  page: { readonly cursor?: string; readonly after: string | null; readonly scope: string; readonly type: string },
): Link[] {
  const links: Link[] = [
    { rel: 'self', type: page.type, href: pageHref(baseUrl, path, { ...params, cursor: page.cursor }) },
  ];
  if (page.after) {
    const cursor = encodeCursor(page.after, page.scope);
    links.push({ rel: 'next', type: page.type, href: pageHref(baseUrl, path, { ...params, cursor }) });
  }
  return links;
}

/** One page of a keyset-paged list as the gateway answers it: the items, their count and the links. */
export interface ServedPage<T> {
  readonly items: T[];
  readonly numberReturned: number;
  readonly links: Link[];
}

/**
 * Serves one page of a list (DESIGN §5): decodes the cursor (bound to `scope`: the query it pages),
 * asks for `limit` items after it, and builds `self`/`next` links repeating `linkParams`.
 */
export async function servePage<T>(
  request: {
    readonly baseUrl: string;
    readonly path: string;
    readonly scope: string;
    readonly type: string;
    readonly limit: number;
    readonly cursor?: string;
    readonly linkParams?: Readonly<Record<string, string | undefined>>;
  },
  fetchPage: (limit: number, after?: string) => Promise<{ readonly items: T[]; readonly after: string | null }>,
): Promise<ServedPage<T>> {
  const { baseUrl, path, scope, type, limit, cursor } = request;
  const after = cursor === undefined ? undefined : decodeCursor(cursor, scope);
  const page = await fetchPage(limit, after);
  const links = pageLinks(
    baseUrl,
    path,
    { ...request.linkParams, limit: String(limit) },
    { cursor, after: page.after, scope, type },
  );
  return { items: page.items, numberReturned: page.items.length, links };
}

/** One page of features as a GeoJSON FeatureCollection with OGC-style `numberReturned` and `links`. */
export interface FeatureCollectionPage<F> {
  readonly type: 'FeatureCollection';
  readonly features: readonly F[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

export const featureCollection = <F>(page: ServedPage<F>): FeatureCollectionPage<F> => ({
  type: 'FeatureCollection',
  features: page.items,
  numberReturned: page.numberReturned,
  links: page.links,
});
