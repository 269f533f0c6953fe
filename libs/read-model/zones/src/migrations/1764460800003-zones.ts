import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Zones as workflow publishes them, and the stays of assets in them (geofencing). Indexes serve
 * the queries that use them: the partial GiST of live zones the geofence join and the bbox list;
 * the open-stay indexes "inside now" per asset and per zone; (zone, entered) and (asset, entered)
 * the visit lists.
 */
export class Zones1764460800003 implements MigrationInterface {
  name = 'Zones1764460800003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.zones (
        zone_id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        geom geometry(Geometry, 4326) NOT NULL,
        valid_from timestamptz,
        valid_to timestamptz,
        sensitivity smallint NOT NULL,
        version int NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        archived_at timestamptz,
        -- Whether geofencing last counted the zone as valid: the validity schedule acts on a change.
        evaluated_active boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS zones_live_geom ON read.zones USING gist (geom) WHERE archived_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS zones_live_tenant ON read.zones (tenant_id, zone_id) WHERE archived_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.zone_visits (
        tenant_id text NOT NULL,
        zone_id uuid NOT NULL,
        asset_id uuid NOT NULL,
        entered_at timestamptz NOT NULL,
        exited_at timestamptz,
        PRIMARY KEY (zone_id, entered_at, asset_id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX IF NOT EXISTS zone_visits_open ON read.zone_visits (asset_id, zone_id)
       WHERE exited_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS zone_visits_zone_open ON read.zone_visits (zone_id, asset_id)
       WHERE exited_at IS NULL`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS zone_visits_asset ON read.zone_visits (asset_id, entered_at, zone_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.zone_visits`);
    await q.query(`DROP TABLE IF EXISTS read.zones`);
  }
}
