import type { Queryable } from '@meridian/shared/event-store';
import { classifyFailure } from '@meridian/shared/messaging';
import type { SideInput } from './rebuild';

const NO_ASSET = '00000000-0000-0000-0000-000000000000';

/**
 * asset_latest's fix columns from read.positions, for the given assets. The newest stored fix is
 * the one the live write path moved the row to (a fix that moves it is always stored, a stored fix
 * never moves it back). previous_ts is what that path leaves there: the row's `ts` before the
 * batch that brought the newest fix, i.e. the newest fix stored by an earlier batch. A batch is one
 * writing transaction — its fixes share `received_at`, the transaction's now() — and an asset's
 * batches are stored one after another (its row lock orders them), so ingest_seq says which
 * batches came earlier; late fixes stored after the newest one do not count, as they moved nothing.
 */
const newestOf = (target: string): string => `
  INSERT INTO ${target} AS l (asset_id, tenant_id, geom, ts, previous_ts, alt, speed, heading, battery, accuracy)
  SELECT n.asset_id, n.tenant_id, n.geom, n.ts,
         (SELECT b.ts FROM read.positions b
          WHERE b.asset_id = n.asset_id AND b.ts < n.ts AND b.ingest_seq < n.ingest_seq
            AND b.received_at <> n.received_at
          ORDER BY b.ts DESC LIMIT 1),
         n.alt, n.speed, n.heading, n.battery, n.accuracy
  FROM unnest($1::uuid[]) AS a(asset_id)
  CROSS JOIN LATERAL (
    SELECT p.asset_id, p.tenant_id, p.geom, p.ts, p.alt, p.speed, p.heading, p.battery, p.accuracy, p.ingest_seq,
           p.received_at
    FROM read.positions p WHERE p.asset_id = a.asset_id ORDER BY p.ts DESC LIMIT 1) n
  ON CONFLICT (asset_id) DO UPDATE SET geom = EXCLUDED.geom, ts = EXCLUDED.ts, previous_ts = EXCLUDED.previous_ts,
    alt = EXCLUDED.alt, speed = EXCLUDED.speed, heading = EXCLUDED.heading, battery = EXCLUDED.battery,
    accuracy = EXCLUDED.accuracy, updated_at = now()
  WHERE l.tenant_id = EXCLUDED.tenant_id`;

export interface NewestFixesOptions {
  /** Assets per statement. Default 1,000. */
  readonly chunk?: number;
  /** How long taking the fixes' bound may wait for writers in flight. Default 2,000 ms. */
  readonly lockTimeoutMs?: number;
}

/**
 * The stored fixes as the rebuild's second input. Its cursor is an ingest_seq below which every
 * fix is committed: read under a SHARE lock on read.positions, which waits out the transactions
 * writing fixes (sequence numbers are taken before commit, so a higher one can commit first) and
 * holds new ones back for the instant it takes. The fill writes every asset with fixes; each
 * catch-up rewrites the assets with fixes stored after the cursor.
 */
export class NewestFixes implements SideInput {
  readonly name = 'fixes';
  private readonly chunk: number;
  private readonly lockTimeoutMs: number;

  constructor(options: NewestFixesOptions = {}) {
    this.chunk = options.chunk ?? 1000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 2000;
  }

  async fill(
    via: Queryable,
    target: string,
    onRows: (rows: number) => Promise<void>,
  ): Promise<{ rows: number; cursor: string }> {
    const cursor = await this.bound(via, false);
    let rows = 0;
    for (let after = NO_ASSET; ;) {
      const { rows: assets } = await via.query<{ asset_id: string }>(
        `SELECT DISTINCT asset_id::text FROM read.positions WHERE asset_id > $1 ORDER BY 1 LIMIT $2`,
        [after, this.chunk],
      );
      if (assets.length === 0) return { rows, cursor };
      const n = await this.write(
        via,
        target,
        assets.map((a) => a.asset_id),
      );
      rows += n;
      await onRows(n);
      after = assets[assets.length - 1].asset_id;
    }
  }

  async catchUp(
    via: Queryable,
    target: string,
    after: string,
    locked: boolean,
  ): Promise<{ rows: number; cursor: string }> {
    const cursor = await this.bound(via, locked);
    if (BigInt(cursor) <= BigInt(after)) return { rows: 0, cursor: after };
    const { rows: assets } = await via.query<{ asset_id: string }>(
      `SELECT DISTINCT asset_id::text FROM read.positions WHERE ingest_seq > $1 AND ingest_seq <= $2`,
      [after, cursor],
    );
    let rows = 0;
    for (let i = 0; i < assets.length; i += this.chunk) {
      rows += await this.write(
        via,
        target,
        assets.slice(i, i + this.chunk).map((a) => a.asset_id),
      );
    }
    return { rows, cursor };
  }

  private async write(via: Queryable, target: string, assetIds: readonly string[]): Promise<number> {
    return (await via.query(newestOf(target), [assetIds])).rowCount ?? 0;
  }

  /** The newest ingest_seq with no fix below it still uncommitted (locked: in the caller's transaction). */
  private async bound(via: Queryable, locked: boolean): Promise<string> {
    const read = async (): Promise<string> => {
      await via.query('LOCK TABLE read.positions IN SHARE MODE');
      const { rows } = await via.query<{ seq: string }>(
        `SELECT (CASE WHEN is_called THEN last_value ELSE 0 END)::text AS seq FROM read.positions_ingest_seq`,
      );
      return rows[0].seq;
    };
    if (locked) return read();
    for (let attempt = 1; ; attempt++) {
      await via.query('BEGIN');
      try {
        await via.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.lockTimeoutMs))}`);
        const seq = await read();
        await via.query('COMMIT');
        return seq;
      } catch (err) {
        await via.query('ROLLBACK').catch(() => undefined);
        if (classifyFailure(err) !== 'transient' || attempt >= 10) throw err;
      }
    }
  }
}
