import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, readModelMigrations } from './data-source';

/*
 * Migrations need a database nobody has migrated yet: the shared test database's `read` schema is
 * migrated by every file that uses it. This file makes a throwaway database and, between cases,
 * empties it again (PostGIS stays: installing it costs seconds).
 */
const database = `meridian_rm_${randomBytes(4).toString('hex')}`;
const url = ((): string => {
  const u = new URL(testDatabaseUrl());
  u.pathname = `/${database}`;
  return u.toString();
})();

const migrationNames = readModelMigrations.map((m) => new m().name ?? m.name);

async function sql<T extends object>(text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The migrations TypeORM recorded (in the read schema), in the order it applied them. */
const recorded = async (): Promise<string[]> =>
  (await sql<{ name: string }>(`SELECT name FROM read.read_model_migrations ORDER BY id`)).map((r) => r.name);

describe('migrateReadModel', () => {
  let admin: Client;
  const dataSources: DataSource[] = [];

  async function dataSource(): Promise<DataSource> {
    const ds = await createReadModelDataSource({ url, poolSize: 2, applicationName: 'migrate-spec' }).initialize();
    dataSources.push(ds);
    return ds;
  }

  /** Back to a database the read-model migrations have never seen (their table is in the read schema). */
  async function unmigrated(): Promise<void> {
    await Promise.all(dataSources.splice(0).map((ds) => ds.destroy()));
    await sql(`DROP SCHEMA IF EXISTS read CASCADE`);
    expect(await sql(`SELECT 1 FROM pg_tables WHERE tablename = 'read_model_migrations'`)).toEqual([]);
  }

  beforeAll(async () => {
    admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await Promise.all(dataSources.map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('applies every migration on a fresh database, then nothing when run again', async () => {
    const ds = await dataSource();

    expect(await migrateReadModel(ds)).toEqual(migrationNames);
    expect(await migrateReadModel(ds)).toEqual([]);
    expect(await migrateReadModel(await dataSource())).toEqual([]);

    expect(await recorded()).toEqual(migrationNames);
    const tables = await sql<{ name: string; kind: string }>(
      `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'read' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(tables).toEqual([
      { name: 'asset_latest', kind: 'r' },
      { name: 'audit_log', kind: 'r' },
      { name: 'mission_history', kind: 'r' },
      { name: 'missions', kind: 'r' },
      { name: 'position_cells', kind: 'r' },
      { name: 'position_cells_compacted', kind: 'r' },
      { name: 'positions', kind: 'p' },
      { name: 'read_model_migrations', kind: 'r' },
      { name: 'zone_visits', kind: 'r' },
      { name: 'zones', kind: 'r' },
    ]);

    // The entities describe the tables the migrations made: TypeORM would change nothing but the
    // key and indexes of positions, SQL it cannot declare for a partitioned table (a unique index
    // on (asset_id, ts) instead of a primary key, BRIN indexes on ts and ingest_seq).
    const pending = (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
    const partitionedKeys =
      /"positions_asset_ts"|"positions_ts_brin"|"positions_ingest_seq_brin"|"positions" ADD CONSTRAINT "PK_\w+" PRIMARY KEY/;
    expect(pending.filter((q) => !partitionedKeys.test(q))).toEqual([]);
  });

  it('applies each migration once when several DataSources migrate at the same time', async () => {
    await unmigrated();
    const sources = await Promise.all([dataSource(), dataSource(), dataSource()]);

    const results = await Promise.all(sources.map((ds) => migrateReadModel(ds)));

    expect([...results].sort((a, b) => a.length - b.length)).toEqual([[], [], migrationNames]);
    expect(await recorded()).toEqual(migrationNames);
  });

  it('keeps the table and rows of a database made before TypeORM (idempotent DDL)', async () => {
    await unmigrated();
    await sql(
      `CREATE SCHEMA read;
       CREATE TABLE read.asset_latest (
         asset_id uuid PRIMARY KEY, tenant_id text NOT NULL, name text, kind text, status text,
         version int NOT NULL DEFAULT 0, geom geometry(Point, 4326), ts timestamptz,
         alt real, speed real, heading real, battery real, accuracy real,
         updated_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO read.asset_latest (asset_id, tenant_id, name, version)
       VALUES ('00000000-0000-4000-8000-000000000001', 'legacy', 'kept', 3);`,
    );

    expect(await migrateReadModel(await dataSource())).toEqual(migrationNames);

    expect(await sql(`SELECT tenant_id, name, version FROM read.asset_latest`)).toEqual([
      { tenant_id: 'legacy', name: 'kept', version: 3 },
    ]);
    const indexes = await sql<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'read' AND tablename = 'asset_latest' ORDER BY 1`,
    );
    expect(indexes.map((i) => i.name)).toEqual([
      'asset_latest_geog',
      'asset_latest_geom',
      'asset_latest_pkey',
      'asset_latest_tenant',
    ]);
  });
});
