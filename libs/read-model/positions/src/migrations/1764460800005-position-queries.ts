import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the spatial-temporal queries of issue 8 need (ADR 0019):
 *
 * - a spatial index on position history again (`positions_geom`, per partition through the parent):
 *   tiles and OGC items of the `positions` layer must not scan outside their envelope;
 * - a GiST index on asset_latest's geography, for k-nearest in metres;
 * - `position_cells`, fix counts per H3 cell per hour at the configured resolutions, written at
 *   ingest in the fixes' transaction (only for fixes actually stored, so a redelivery counts
 *   nothing twice). Append-only: each batch adds its own per-cell counts and a query sums them, so
 *   concurrent batches never wait on one another's rows; projection merges each closed hour's rows
 *   into one per cell (`compactCells`, `position_cells_compacted`). `coarse` is the cell's resolution-3
 *   parent: a bbox becomes a handful of coarse cells, and the index finds only the rows inside them.
 */
export class PositionQueries1764460800005 implements MigrationInterface {
  name = 'PositionQueries1764460800005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS positions_geom ON read.positions USING gist (geom)`);
    // Nearest assets in metres: KNN on geography (`<->` is then a sphere distance, not degrees).
    await q.query(`CREATE INDEX IF NOT EXISTS asset_latest_geog ON read.asset_latest USING gist ((geom::geography))`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.position_cells (
        tenant_id text NOT NULL,
        resolution smallint NOT NULL,
        coarse bigint NOT NULL,
        hour timestamptz NOT NULL,
        cell bigint NOT NULL,
        fixes integer NOT NULL
      )`);
    // One index only (each costs a write per row at ingest): a bbox too large for coarse keys reads
    // the tenant's rows of a resolution through its prefix, which a continent-wide heatmap reads anyway.
    await q.query(
      `CREATE INDEX IF NOT EXISTS position_cells_lookup
         ON read.position_cells (tenant_id, resolution, coarse, hour) INCLUDE (cell, fixes)`,
    );
    // Compaction merges a closed hour's rows (all tenants) into one per cell: found by hour.
    await q.query(`CREATE INDEX IF NOT EXISTS position_cells_hour ON read.position_cells USING brin (hour)`);
    await q.query(
      `CREATE TABLE IF NOT EXISTS read.position_cells_compacted (
        hour timestamptz PRIMARY KEY,
        compacted_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.position_cells_compacted`);
    await q.query(`DROP TABLE IF EXISTS read.position_cells`);
    await q.query(`DROP INDEX IF EXISTS read.positions_geom`);
    await q.query(`DROP INDEX IF EXISTS read.asset_latest_geog`);
  }
}
