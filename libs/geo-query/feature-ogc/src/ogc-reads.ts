import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  ogcCollectionIds,
  type OgcCollectionId,
  type OgcExtents,
  type OgcFeature,
  type OgcItemsPage,
} from '@meridian/contracts/ogc';
import { READ_POOL } from '@meridian/read-model/data-source';
import { collectionSql } from './sql/collections';
import type { Direction, ItemsFilter } from './sql/ogc-sql';

/**
 * Replies travel on Kafka, whose messages are limited to 1 MB: a page stops early (and says where to
 * go on) once its features would make the reply larger than this. OGC lets a page hold fewer
 * features than `limit`.
 */
export const REPLY_BUDGET_BYTES = 768 * 1024;

/** Keeps features in order until the next one would exceed the byte budget (always at least one). */
export function withinBudget(items: readonly OgcFeature[], budget = REPLY_BUDGET_BYTES): OgcFeature[] {
  let size = 0;
  const kept: OgcFeature[] = [];
  for (const item of items) {
    size += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (kept.length > 0 && size > budget) break;
    kept.push(item);
  }
  return kept;
}

/** The OGC collections over the read model: pages with their exact count, single features, extents. */
@Injectable()
export class OgcReads {
  constructor(@Inject(READ_POOL) private readonly pool: Pool) {}

  /**
   * One page in the collection's order: after `key` (`next`), or the `limit` features just before
   * it (`prev`), read backwards on the same index and turned around.
   */
  async items(
    tenantId: string,
    collection: OgcCollectionId,
    filter: ItemsFilter,
    limit: number,
    key?: string,
    direction: Direction = 'next',
  ): Promise<OgcItemsPage> {
    const sql = collectionSql[collection];
    const page = sql.page(tenantId, filter, limit, key, direction);
    const count = sql.count(tenantId, filter);
    // Two statements on two connections, at once: the count does not wait for the page.
    const [rows, counted] = await Promise.all([
      this.pool.query<Record<string, unknown>>(page.text, page.values),
      this.pool.query<{ n: number }>(count.text, count.values),
    ]);
    const fetched = rows.rows.slice(0, limit).map((r) => sql.toFeature(r));
    // Nearest to the key first, in either direction: the budget cuts the far end.
    const kept = withinBudget(fetched);
    const moreBeyond = rows.rows.length > limit || kept.length < fetched.length;
    const numberMatched = counted.rows[0].n;
    if (kept.length === 0) return { items: [], after: null, before: null, numberMatched };
    if (direction === 'next') {
      const last = kept[kept.length - 1].id;
      return {
        items: kept,
        after: moreBeyond ? last : null,
        before: key === undefined ? null : kept[0].id,
        numberMatched,
      };
    }
    const items = kept.reverse();
    return { items, after: items[items.length - 1].id, before: moreBeyond ? items[0].id : null, numberMatched };
  }

  async feature(tenantId: string, collection: OgcCollectionId, featureId: string): Promise<OgcFeature | null> {
    const sql = collectionSql[collection];
    const statement = sql.feature(tenantId, featureId);
    if (!statement) return null;
    const { rows } = await this.pool.query<Record<string, unknown>>(statement.text, statement.values);
    return rows[0] ? sql.toFeature(rows[0]) : null;
  }

  async extents(tenantId: string): Promise<OgcExtents> {
    const collections = await Promise.all(
      ogcCollectionIds.map(async (id) => {
        const sql = collectionSql[id];
        const statement = sql.extent(tenantId);
        const { rows } = await this.pool.query<Record<string, unknown>>(statement.text, statement.values);
        return sql.toExtent(rows[0]);
      }),
    );
    return { collections };
  }
}
