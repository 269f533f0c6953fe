import type { OgcBbox, OgcDatetime, OgcExtent, OgcFeature } from '@meridian/contracts/ogc';
import { type ReadScope, rowFilter } from '@meridian/read-model/assets';
import type { FilterColumns, Permission } from '@meridian/shared/policy';

/** A statement and its parameters, as `pool.query` takes them (and EXPLAIN tests replay them). */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/** The filters of an items request, once parsed by the gateway. */
export interface ItemsFilter {
  readonly bbox?: OgcBbox;
  readonly datetime?: OgcDatetime;
}

/** Placeholders numbered in the order values are added. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** The scope's row filter (`''` or ` AND (…)`), its parameters numbered after those added so far. */
  filter(scope: ReadScope, permission: Permission, columns: FilterColumns): string {
    const filter = rowFilter(scope, permission, columns, this.values.length + 1);
    this.values.push(...filter.params);
    return filter.sql;
  }
}

/**
 * `geom` intersects one of the envelopes (two when the request crossed the antimeridian).
 * ST_Intersects, not `&&` alone: `&&` compares rounded boxes and lets points just outside in.
 */
export function bboxCondition(p: Params, bbox: OgcBbox | undefined, column = 'geom'): string {
  if (!bbox) return '';
  const parts = bbox.map(
    ([a, b, c, d]) =>
      `ST_Intersects(${column}, ST_MakeEnvelope(${p.add(a)}, ${p.add(b)}, ${p.add(c)}, ${p.add(d)}, 4326))`,
  );
  return ` AND (${parts.join(' OR ')})`;
}

/** A closed interval [start, end] on an instant column; either end may be open. */
export function instantCondition(p: Params, datetime: OgcDatetime | undefined, column: string): string {
  if (!datetime) return '';
  let sql = '';
  if (datetime.start !== null) sql += ` AND ${column} >= ${p.add(datetime.start)}::timestamptz`;
  if (datetime.end !== null) sql += ` AND ${column} <= ${p.add(datetime.end)}::timestamptz`;
  return sql;
}

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export type Direction = 'next' | 'prev';

/** The keyset comparison and order of a direction. */
export const keyset = (direction: Direction = 'next') =>
  direction === 'next' ? { cmp: '>', order: '' } : { cmp: '<', order: ' DESC' };

/** One page of features, and whether more match after its last one. */
export interface FeaturePage {
  readonly items: OgcFeature[];
  readonly more: boolean;
}

/**
 * `n`: the rows matching `where` in `table`, counted up to `cap + 1` (a LIMIT under the count): more
 * than `cap` means "more than cap", and the count stops there instead of reading the whole window.
 */
export function cappedCount(p: Params, table: string, where: string, cap: number): Statement {
  return {
    text: `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${table} WHERE ${where} LIMIT ${p.add(cap + 1)}) matched`,
    values: p.values,
  };
}

/**
 * What a collection answers: pages (keyset on the feature id's order), counts, one feature, its
 * extent — each of the rows the scope may see (its row filter in every statement's WHERE), so
 * `numberMatched` and the extent count and cover only those.
 */
export interface OgcCollectionSql {
  /**
   * Rows whose size has no useful bound (zone polygons): pages are read through a cursor that stops
   * at the byte budget, not `limit + 1` rows at once.
   */
  readonly variableRowSize?: boolean;
  /** `limit + 1` features after `key` in the collection's order, or (`prev`) before it, nearest first. */
  page(scope: ReadScope, filter: ItemsFilter, limit: number, key?: string, direction?: Direction): Statement;
  /** The matches counted up to `cap + 1` (see `cappedCount`). */
  count(scope: ReadScope, filter: ItemsFilter, cap: number): Statement;
  /** null when the id cannot name a feature of this collection (then it is not found). */
  feature(scope: ReadScope, featureId: string): Statement | null;
  extent(scope: ReadScope): Statement;
  toFeature(row: Record<string, unknown>): OgcFeature;
  toExtent(row: Record<string, unknown>): OgcExtent;
}

/** An extent row as the extent statements select it. */
export interface ExtentRow {
  readonly xmin: number | null;
  readonly ymin: number | null;
  readonly xmax: number | null;
  readonly ymax: number | null;
}

export const bboxOf = (r: ExtentRow): OgcExtent['bbox'] =>
  r.xmin === null || r.ymin === null || r.xmax === null || r.ymax === null ? null : [r.xmin, r.ymin, r.xmax, r.ymax];

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
