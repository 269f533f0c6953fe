import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The telemetry write path at scale (issue 7, ADR 0017): asset_latest keeps the fix before the
 * newest (`previous_ts`), which the newest-fix update returns so the writer knows which fixes are
 * new without another read; the GiST index on positions goes, as no query uses it (track and
 * time queries use (asset_id, ts) and BRIN (ts); a spatial index on history comes back with the
 * query that needs it, per partition).
 */
export class TelemetryWritePath1764460800004 implements MigrationInterface {
  name = 'TelemetryWritePath1764460800004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE read.asset_latest ADD COLUMN IF NOT EXISTS previous_ts timestamptz`);
    await q.query(`DROP INDEX IF EXISTS read.positions_geom`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS positions_geom ON read.positions USING gist (geom)`);
    await q.query(`ALTER TABLE read.asset_latest DROP COLUMN IF EXISTS previous_ts`);
  }
}
