import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The telemetry write path at scale (issue 7, ADR 0017): asset_latest keeps the fix before the
 * newest (`previous_ts`), which the newest-fix update returns so the writer knows which fixes are
 * new without another read; the GiST index on positions goes, as no query uses it (track and
 * time queries use (asset_id, ts) and BRIN (ts); a spatial index on history comes back with the
 * query that needs it, per partition); each fix gets an ingest sequence number (BRIN-indexed:
 * it only grows) for rebuilds.
 */
export class TelemetryWritePath1764460800004 implements MigrationInterface {
  name = 'TelemetryWritePath1764460800004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE read.asset_latest ADD COLUMN IF NOT EXISTS previous_ts timestamptz`);
    await q.query(`DROP INDEX IF EXISTS read.positions_geom`);
    // The order fixes were stored in, so a rebuild replays them as they happened (late fixes as late).
    await q.query(`CREATE SEQUENCE IF NOT EXISTS read.positions_ingest_seq`);
    await q.query(
      `ALTER TABLE read.positions ADD COLUMN IF NOT EXISTS ingest_seq bigint NOT NULL
         DEFAULT nextval('read.positions_ingest_seq')`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS positions_ingest_seq_brin ON read.positions USING brin (ingest_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE read.positions DROP COLUMN IF EXISTS ingest_seq`);
    await q.query(`DROP SEQUENCE IF EXISTS read.positions_ingest_seq`);
    await q.query(`CREATE INDEX IF NOT EXISTS positions_geom ON read.positions USING gist (geom)`);
    await q.query(`ALTER TABLE read.asset_latest DROP COLUMN IF EXISTS previous_ts`);
  }
}
