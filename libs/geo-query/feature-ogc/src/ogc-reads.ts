import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  ogcCollectionIds,
  type OgcCollectionId,
  type OgcExtents,
  type OgcFeature,
  type OgcItemsPage,
} from '@meridian/contracts/ogc';
import type { ReadScope } from '@meridian/read-model/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { defaultOgcReadLimits, OGC_READ_LIMITS, type OgcReadLimits } from './ogc-settings';
import { collectionSql } from './sql/collections';
import type { Direction, ItemsFilter, OgcCollectionSql, Statement } from './sql/ogc-sql';

/** A feature's share of a reply: its JSON and a separator. */
const featureBytes = (feature: OgcFeature): number => Buffer.byteLength(JSON.stringify(feature)) + 1;

/** Keeps features in order until the next one would exceed the byte budget (always at least one). */
export function withinBudget(
  items: readonly OgcFeature[],
  budget = defaultOgcReadLimits.replyBudgetBytes,
): OgcFeature[] {
  let size = 0;
  const kept: OgcFeature[] = [];
  for (const item of items) {
    size += featureBytes(item);
    if (kept.length > 0 && size > budget) break;
    kept.push(item);
  }
  return kept;
}

/** Rows of the first FETCH of a budgeted page: four of the largest zones are a few MB at most. */
const FIRST_FETCH = 4;
const MAX_FETCH = 1000;

/**
 * The OGC collections over the read model: pages with their (capped) count, single features,
 * extents — of the rows the scope may see (assets: `assets:read`, zones: `zones:read`, positions:
 * `positions:read`), so `numberMatched` counts those only.
 */
@Injectable()
export class OgcReads {
  private readonly limits: OgcReadLimits;

  constructor(
    @Inject(READ_POOL) private readonly pool: Pool,
    @Optional() @Inject(OGC_READ_LIMITS) limits?: Partial<OgcReadLimits>,
  ) {
    this.limits = { ...defaultOgcReadLimits, ...limits };
  }

  /**
   * One page in the collection's order: after `key` (`next`), or the `limit` features just before
   * it (`prev`), read backwards on the same index and turned around. `numberMatched` is null when
   * more than `countCap` features match.
   */
  async items(
    scope: ReadScope,
    collection: OgcCollectionId,
    filter: ItemsFilter,
    limit: number,
    key?: string,
    direction: Direction = 'next',
  ): Promise<OgcItemsPage> {
    const sql = collectionSql[collection];
    const { countCap, replyBudgetBytes } = this.limits;
    const page = sql.page(scope, filter, limit, key, direction);
    const count = sql.count(scope, filter, countCap);
    // Two statements on two connections, at once: the count does not wait for the page.
    const [rows, counted] = await Promise.all([
      sql.variableRowSize ? this.readWithinBudget(sql, page, limit + 1) : this.readAll(sql, page),
      this.pool.query<{ n: number }>(count.text, count.values),
    ]);
    const fetched = rows.slice(0, limit);
    // Nearest to the key first, in either direction: the budget cuts the far end.
    const kept = withinBudget(fetched, replyBudgetBytes);
    const moreBeyond = rows.length > limit || kept.length < fetched.length;
    const n = counted.rows[0].n;
    const numberMatched = n > countCap ? null : n;
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

  private async readAll(sql: OgcCollectionSql, page: Statement): Promise<OgcFeature[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(page.text, page.values);
    return rows.map((r) => sql.toFeature(r));
  }

  /**
   * Reads the page through a cursor and stops once the features read exceed the byte budget (with
   * one beyond it, so the page knows more follow) or `max` are read: geo-query holds about one
   * budget of features, never `limit` rows of unknown size. Each FETCH asks for as many rows as the
   * rest of the budget holds at the average size so far.
   */
  private async readWithinBudget(sql: OgcCollectionSql, page: Statement, max: number): Promise<OgcFeature[]> {
    const budget = this.limits.replyBudgetBytes;
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE ogc_page NO SCROLL CURSOR FOR ${page.text}`, page.values);
      const features: OgcFeature[] = [];
      let bytes = 0;
      let rows = Math.min(FIRST_FETCH, max);
      for (;;) {
        const batch = await client.query<Record<string, unknown>>(`FETCH ${rows} FROM ogc_page`);
        for (const row of batch.rows) {
          const feature = sql.toFeature(row);
          features.push(feature);
          bytes += featureBytes(feature);
        }
        const overBudget = bytes > budget && features.length > 1;
        if (batch.rows.length < rows || features.length >= max || overBudget) break;
        const fitting = Math.ceil((budget - bytes) / (bytes / features.length)) + 1;
        rows = Math.max(1, Math.min(fitting, max - features.length, MAX_FETCH));
      }
      await client.query('COMMIT');
      return features;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async feature(scope: ReadScope, collection: OgcCollectionId, featureId: string): Promise<OgcFeature | null> {
    const sql = collectionSql[collection];
    const statement = sql.feature(scope, featureId);
    if (!statement) return null;
    const { rows } = await this.pool.query<Record<string, unknown>>(statement.text, statement.values);
    return rows[0] ? sql.toFeature(rows[0]) : null;
  }

  async extents(scope: ReadScope): Promise<OgcExtents> {
    const collections = await Promise.all(
      ogcCollectionIds.map(async (id) => {
        const sql = collectionSql[id];
        const statement = sql.extent(scope);
        const { rows } = await this.pool.query<Record<string, unknown>>(statement.text, statement.values);
        return sql.toExtent(rows[0]);
      }),
    );
    return { collections };
  }
}
