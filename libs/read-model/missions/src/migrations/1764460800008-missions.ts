import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Missions as workflow publishes them (every event carries the whole summary, so a row is the
 * newest event's), and their history, one row per mission version. Indexes serve the queries:
 * (tenant, id) the keyset list and get; (tenant, state, id) a list by state in id order; GiST on
 * the area the bbox filter and a region-restricted principal's row filter; GiST on the window the
 * `&&` overlap with `[from, to)`. The history's primary key is its keyset order.
 */
export class Missions1764460800008 implements MigrationInterface {
  name = 'Missions1764460800008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.missions (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        title text NOT NULL,
        state text NOT NULL,
        done boolean NOT NULL,
        version int NOT NULL,
        definition_key text NOT NULL,
        definition_version int NOT NULL,
        priority smallint NOT NULL,
        area geometry(Polygon, 4326) NOT NULL,
        "window" tstzrange NOT NULL,
        deadline timestamptz NOT NULL,
        asset_ids uuid[] NOT NULL,
        -- The last assignment: {sagaId, outcome, reason}; null before the first.
        assignment jsonb,
        -- The MissionTransition[] of the newest event: what allowedEvents is computed from.
        transitions jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS missions_tenant ON read.missions (tenant_id, id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS missions_tenant_state ON read.missions (tenant_id, state, id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS missions_area ON read.missions USING gist (area)`);
    await q.query(`CREATE INDEX IF NOT EXISTS missions_window ON read.missions USING gist ("window")`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.mission_history (
        mission_id uuid NOT NULL,
        version int NOT NULL,
        tenant_id text NOT NULL,
        kind text NOT NULL,
        event text,
        from_state text,
        to_state text NOT NULL,
        actor text NOT NULL,
        cause text,
        reason text,
        asset_ids uuid[] NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (mission_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.mission_history`);
    await q.query(`DROP TABLE IF EXISTS read.missions`);
  }
}
