import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every fix, partitioned by UTC day; (asset_id, ts) makes a redelivered fix a no-op. Partitions are
 * created ahead of time by PositionPartitions. Idempotent DDL, as for asset_latest.
 */
export class Positions1764460800002 implements MigrationInterface {
  name = 'Positions1764460800002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.positions (
        tenant_id text NOT NULL,
        asset_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        geom geometry(Point, 4326) NOT NULL,
        alt real, speed real, heading real, battery real, accuracy real,
        received_at timestamptz NOT NULL DEFAULT now()
      ) PARTITION BY RANGE (ts)`);
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS positions_asset_ts ON read.positions (asset_id, ts)`);
    await q.query(`CREATE INDEX IF NOT EXISTS positions_ts_brin ON read.positions USING brin (ts)`);
    await q.query(`CREATE INDEX IF NOT EXISTS positions_geom ON read.positions USING gist (geom)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.positions`);
  }
}
