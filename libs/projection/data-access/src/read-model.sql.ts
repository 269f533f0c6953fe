import type { Migration } from '@meridian/shared/event-store';

/** Schema of the read models; projection owns it, geo-query reads it. */
export const READ_SCHEMA = 'read';

export const readModelMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'asset_latest and positions',
    sql: `
CREATE EXTENSION IF NOT EXISTS postgis;
-- One row per asset: registration facts (from workflow events, guarded by stream version) and
-- the newest fix (from telemetry, guarded by its timestamp). Either may arrive first.
CREATE TABLE read.asset_latest (
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
);
CREATE INDEX asset_latest_tenant ON read.asset_latest (tenant_id, asset_id);
CREATE INDEX asset_latest_geom ON read.asset_latest USING gist (geom);

-- Every fix, partitioned by day; (asset_id, ts) makes a redelivered fix a no-op.
CREATE TABLE read.positions (
  tenant_id text NOT NULL,
  asset_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  geom geometry(Point, 4326) NOT NULL,
  alt real, speed real, heading real, battery real, accuracy real,
  received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX positions_asset_ts ON read.positions (asset_id, ts);
CREATE INDEX positions_ts_brin ON read.positions USING brin (ts);
CREATE INDEX positions_geom ON read.positions USING gist (geom);
`,
  },
];
