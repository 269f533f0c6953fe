import type { MigrationInterface, QueryRunner } from 'typeorm';

/** asset_latest (see AssetLatest). Idempotent DDL: databases made by the pre-TypeORM migrator keep their table. */
export class AssetLatest1764460800001 implements MigrationInterface {
  name = 'AssetLatest1764460800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS postgis`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.asset_latest (
        asset_id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        name text,
        kind text,
        status text,
        version int NOT NULL DEFAULT 0,
        geom geometry(Point, 4326),
        ts timestamptz,
        alt real, speed real, heading real, battery real, accuracy real,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS asset_latest_tenant ON read.asset_latest (tenant_id, asset_id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS asset_latest_geom ON read.asset_latest USING gist (geom)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.asset_latest`);
  }
}
