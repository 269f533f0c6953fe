import type { Pool } from 'pg';
import { inTransaction } from '@meridian/shared/event-store';

const DAY_MS = 86_400_000;
export const dayOf = (ts: string | number): number =>
  Math.floor((typeof ts === 'number' ? ts : Date.parse(ts)) / DAY_MS);
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const partitionName = (day: number): string => `positions_${isoDay(day).replace(/-/g, '')}`;

/**
 * Day partitions of read.positions. `CREATE TABLE … PARTITION OF` takes a lock on the parent that
 * waits for, and then blocks, every writer; so partitions are made ahead of time (`ensureAhead`, at
 * start and periodically), and the write path only creates one for a day nobody expected (a late
 * fix beyond the window kept ready), under an advisory lock so replicas do not race.
 */
export class PositionPartitions {
  private readonly known = new Set<number>();

  constructor(private readonly pool: Pool) {}

  /** Partitions from `behindDays` ago to `aheadDays` ahead of `now`. */
  async ensureAhead(now: number, behindDays: number, aheadDays: number): Promise<number[]> {
    const today = dayOf(now);
    const days = Array.from({ length: behindDays + aheadDays + 1 }, (_, i) => today - behindDays + i);
    return this.ensure(days);
  }

  /** Makes sure a partition exists for each day; returns the days it created. */
  async ensure(days: Iterable<number>): Promise<number[]> {
    const missing = [...new Set(days)].filter((d) => !this.known.has(d));
    if (missing.length === 0) return [];
    const existing = await this.existingDays();
    existing.forEach((d) => this.known.add(d));
    const toCreate = missing.filter((d) => !this.known.has(d));
    if (toCreate.length === 0) return [];
    const client = await this.pool.connect();
    try {
      const created = await inTransaction(client, async () => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('meridian.positions.partitions'))`);
        // Another instance may have made some while this one waited for the lock.
        const existingNow = new Set(await this.existingDays(client));
        const missingNow = toCreate.filter((d) => !existingNow.has(d));
        for (const day of missingNow) {
          await client.query(
            `CREATE TABLE IF NOT EXISTS read.${partitionName(day)} PARTITION OF read.positions
             FOR VALUES FROM ('${isoDay(day)} 00:00:00+00') TO ('${isoDay(day + 1)} 00:00:00+00')`,
          );
        }
        return missingNow;
      });
      toCreate.forEach((d) => this.known.add(d));
      return created;
    } finally {
      client.release();
    }
  }

  private async existingDays(db: Pick<Pool, 'query'> = this.pool): Promise<number[]> {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE n.nspname = 'read' AND p.relname = 'positions'`,
    );
    return rows
      .map((r) => /^positions_(\d{4})(\d{2})(\d{2})$/.exec(r.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, y, m, d]) => dayOf(`${y}-${m}-${d}T00:00:00Z`));
  }
}
