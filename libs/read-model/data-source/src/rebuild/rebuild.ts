import type { Pool, PoolClient } from 'pg';
import { type AllPosition, inTransaction, type Queryable, START } from '@meridian/shared/event-store';
import { classifyFailure } from '@meridian/shared/messaging';
import { ShadowTable } from './shadow-table';
import type { EventSource, SourceEvent } from './source';

/**
 * What applying a page did: rows changed, and events refused (by their contract or by the database)
 * that the live projector would dead-letter.
 */
export interface Applied {
  readonly changed: number;
  readonly refused: number;
}

/**
 * An input beside the event store (asset-latest: the stored fixes). `cursor` is the input's own
 * position, opaque to the rebuild. `locked`: the caller's transaction holds the live table's lock.
 */
export interface SideInput {
  readonly name: string;
  fill(
    via: Queryable,
    target: string,
    onRows: (rows: number) => Promise<void>,
  ): Promise<{ rows: number; cursor: string }>;
  catchUp(via: Queryable, target: string, after: string, locked: boolean): Promise<{ rows: number; cursor: string }>;
}

/** One read model as a rebuild sees it. */
export interface RebuildProjection {
  /** The live table, schema-qualified. */
  readonly table: string;
  /** A page of events into `target` (the shadow), in order, with the live projector's statements. */
  apply(events: readonly SourceEvent[], target: string, via: Queryable): Promise<Applied>;
  readonly side?: SideInput;
  /** Under the live table's lock, after the last events, before the swap: reconciles the shadow with the live table. */
  settle?(client: PoolClient, live: string, shadow: string): Promise<void>;
}

export type RebuildPhase = 'fill' | 'catch-up' | 'swap' | 'done';

export interface RebuildProgress {
  readonly table: string;
  readonly phase: RebuildPhase;
  /** Stored events read from `$all`. */
  readonly eventsRead: number;
  /** Of those, integration events handed to the projection. */
  readonly eventsApplied: number;
  readonly rowsChanged: number;
  readonly refused: number;
  /** Rows written from the side input (fixes: one per asset written). */
  readonly sideRows: number;
  readonly elapsedMs: number;
}

export interface RebuildSummary extends RebuildProgress {
  readonly swapAttempts: number;
  /** The successful swap: waiting for the lock, and holding it (readers of the live table wait this long at most). */
  readonly lockWaitMs: number;
  readonly lockHeldMs: number;
}

export interface RebuildOptions {
  /** Stored events per read of `$all` (memory stays bounded by it). Default 2,000. */
  readonly pageSize?: number;
  /** How long the swap waits for the live table's lock before it backs off and tries again. Default 2,000 ms. */
  readonly lockTimeoutMs?: number;
  readonly swapAttempts?: number;
  /** After every page and at every phase change; the rebuild waits for a returned promise (a caller may pace it). */
  readonly onProgress?: (progress: RebuildProgress) => void | Promise<void>;
  /** Under the lock, after settling, before the swap: for checks (tests compare the two tables here). */
  readonly beforeSwap?: (client: PoolClient, tables: { live: string; shadow: string }) => Promise<void>;
}

/**
 * Rebuilds one read-model table without downtime (ADR 0018): a shadow table like the live one is
 * filled from `$all` (and the side input), caught up while the live projector keeps writing the
 * live table, then, in one short transaction holding the live table's ACCESS EXCLUSIVE lock, given
 * the last events and swapped in. Version-guarded statements make an event applied twice harmless.
 * One connection does all of it; a session advisory lock keeps two rebuilds of one table apart.
 */
export async function rebuildReadModel(
  pool: Pool,
  projection: RebuildProjection,
  source: EventSource,
  options: RebuildOptions = {},
): Promise<RebuildSummary> {
  const pageSize = options.pageSize ?? 2000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 2000;
  const attempts = options.swapAttempts ?? 10;
  const table = new ShadowTable(projection.table);
  const started = Date.now();
  let counts = { eventsRead: 0, eventsApplied: 0, rowsChanged: 0, refused: 0, sideRows: 0 };
  let phase: RebuildPhase = 'fill';
  const progress = (): RebuildProgress => ({
    table: table.live,
    phase,
    ...counts,
    elapsedMs: Date.now() - started,
  });
  const report = async (): Promise<void> => options.onProgress?.(progress());

  const client = await pool.connect();
  const lockKey = `meridian.rebuild.${table.live}`;
  const alone = await client
    .query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockKey])
    .then(({ rows }) => rows[0].ok)
    .catch((err: unknown) => {
      client.release();
      throw err;
    });
  if (!alone) {
    client.release();
    throw new Error(`another rebuild of ${table.live} is running`);
  }
  try {
    /**
     * Reads and applies `$all` from `after` until a read finds nothing; returns where it stopped.
     * Each page is one transaction (`own`), or part of the caller's (the swap).
     */
    const drain = async (after: AllPosition, own = true): Promise<AllPosition> => {
      for (let position = after; ;) {
        const page = await source.read(position, pageSize, client);
        if (page.read === 0) return position;
        const applied = own
          ? await inTransaction(client, () => projection.apply(page.events, table.shadow, client))
          : await projection.apply(page.events, table.shadow, client);
        counts = {
          ...counts,
          eventsRead: counts.eventsRead + page.read,
          eventsApplied: counts.eventsApplied + page.events.length,
          rowsChanged: counts.rowsChanged + applied.changed,
          refused: counts.refused + applied.refused,
        };
        position = page.next;
        await report();
      }
    };
    const side = projection.side;
    const catchUpSide = async (cursor: string, locked: boolean): Promise<{ rows: number; cursor: string }> => {
      if (!side) return { rows: 0, cursor };
      const next = await side.catchUp(client, table.shadow, cursor, locked);
      counts = { ...counts, sideRows: counts.sideRows + next.rows };
      return next;
    };

    await table.create(client);
    await report();
    let position = await drain(START);
    let cursor = '';
    if (side) {
      const filled = await side.fill(client, table.shadow, async (n) => {
        counts = { ...counts, sideRows: counts.sideRows + n };
        await report();
      });
      cursor = filled.cursor;
    }
    await table.analyze(client);

    // Catch up until a round finds less than a page: the swap's tail, under the lock, stays short.
    phase = 'catch-up';
    await report();
    for (let round = 0; round < 100; round++) {
      const before = counts.eventsRead + counts.sideRows;
      position = await drain(position);
      cursor = (await catchUpSide(cursor, false)).cursor;
      if (counts.eventsRead + counts.sideRows - before < pageSize) break;
    }

    phase = 'swap';
    await report();
    for (let attempt = 1; ; attempt++) {
      const saved = counts;
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
        const asked = Date.now();
        await client.query(`LOCK TABLE ${table.live} IN ACCESS EXCLUSIVE MODE`);
        const lockedAt = Date.now();
        await drain(position, false);
        await catchUpSide(cursor, true);
        await projection.settle?.(client, table.live, table.shadow);
        await options.beforeSwap?.(client, { live: table.live, shadow: table.shadow });
        await table.swap(client);
        await client.query('COMMIT');
        const lockHeldMs = Date.now() - lockedAt;
        phase = 'done';
        await report();
        return { ...progress(), swapAttempts: attempt, lockWaitMs: lockedAt - asked, lockHeldMs };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        counts = saved;
        // Waiting too long for the lock, a deadlock with a writer, an event the database refuses
        // (written alone outside the swap, it is skipped as refused): catch up again, try once more.
        const kind = classifyFailure(err);
        if ((kind !== 'transient' && kind !== 'data') || attempt >= attempts) throw err;
        position = await drain(position);
        cursor = (await catchUpSide(cursor, false)).cursor;
      }
    }
  } catch (err) {
    await table.drop(client).catch(() => undefined);
    throw err;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    client.release();
  }
}
