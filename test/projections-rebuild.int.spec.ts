/**
 * `npm run projections -- rebuild zones|asset-latest` against a live read model built the way the
 * services build it: commands through workflow's handlers into a fresh event store, its events
 * mapped by workflow's relay mapper and delivered to the projection's own projectors (Kafka left
 * out), fixes through the PositionsIngestor with live geofencing, validity ticks through ZoneWriter.
 * The rebuilt table must equal the live one row by row, compared under the swap's lock.
 *
 * A rebuild replaces whole tables, so this file has a database of its own (dropped at the end).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client, type Pool, type PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DataOf, type Envelope, parseData } from '@meridian/contracts/core';
import { AssetRegisteredV2, AssetStatusChangedV1, RegisterAssetV2 } from '@meridian/contracts/assets';
import type { PositionBatchReportedV1 } from '@meridian/contracts/telemetry';
import {
  ArchiveZoneV1,
  CreateZoneV2,
  ReplaceZoneV2,
  ZoneArchivedV1,
  ZoneCreatedV2,
  type ZoneGeometry,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import { AssetEventsProjector } from '@meridian/projection/feature-assets';
import { PositionsIngestor } from '@meridian/projection/feature-telemetry';
import { ZoneEventsProjector } from '@meridian/projection/feature-zones';
import {
  createReadModelDataSource,
  migrateReadModel,
  poolOf,
  type RebuildProgress,
  type RebuildSummary,
} from '@meridian/read-model/data-source';
import { Geofencer, geofenceStreamId, ZoneWriter } from '@meridian/read-model/zones';
import { handle, type RecordedEvent } from '@meridian/shared/decider';
import {
  type AllPosition,
  eventStoreMigrations,
  migrate,
  PgEventStore,
  positionOf,
  type Queryable,
  START,
} from '@meridian/shared/event-store';
import { assetDecider, assetStreamId, SYSTEM_ACCESS } from '@meridian/workflow/domain';
import { registerAsset } from '@meridian/workflow/feature-assets';
import { archiveZone, createZone, replaceZone } from '@meridian/workflow/feature-zones';
import { toWorkflowIntegrationEvent } from '../apps/workflow/src/app.module';
import { type ReadModelName, rebuild, type RebuildArgs } from '../tools/projections';
import { onDatabase, testDatabaseUrl } from './test-env';
// Relative until @meridian/shared/testing exports it (libs/shared/testing/src/index.ts is the integrator's).
import { testPrincipal } from '@meridian/shared/testing';
import { squarePolygon } from '@meridian/shared/geometry';

const root = resolve(__dirname, '..');
const database = `meridian_rebuild_${randomBytes(4).toString('hex')}`;
const url = onDatabase(testDatabaseUrl(), database);
const TENANT = 'acme-rebuild';
const settings = { maxVertices: 1000 };
const base = Date.now() - 2 * 60 * 60 * 1000;
const at = (s: number): Date => new Date(base + s * 1000);
const iso = (s: number): string => at(s).toISOString();

const square = (x: number, y: number, size = 0.1) => squarePolygon(x, y, size);

/** Every column of a table, geometry as exact EWKB, in key order; `without` leaves columns out. */
async function rowsOf(via: Queryable, table: string, key: string, without: readonly string[] = []) {
  const { rows } = await via.query<{ row: Record<string, unknown> }>(
    `SELECT (to_jsonb(t) - 'geom' - $1::text[]) || jsonb_build_object('geom', encode(ST_AsEWKB(t.geom), 'hex')) AS row
     FROM ${table} t ORDER BY t.${key}`,
    [without],
  );
  return rows.map((r) => r.row);
}

/**
 * asset_latest.updated_at is when a row was last written (now() of the writing transaction), not a
 * fact of the events or fixes: a rebuild cannot reproduce it. zones.updated_at is the event's time
 * and is compared.
 */
const COMPARED = {
  zones: { table: 'zones', key: 'zone_id', without: [] as string[] },
  'asset-latest': { table: 'asset_latest', key: 'asset_id', without: ['updated_at'] },
} as const;

/** Columns, indexes and constraints of read.<table>, as the catalog has them. */
async function shapeOf(via: Queryable, table: string) {
  const columns = await via.query(
    `SELECT column_name, data_type, udt_name, column_default, is_nullable FROM information_schema.columns
     WHERE table_schema = 'read' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const indexes = await via.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read' AND tablename = $1 ORDER BY 1`,
    [table],
  );
  const constraints = await via.query(
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`,
    [`read.${table}`],
  );
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
}

describe('rebuildable projections: zones and asset-latest (real PostGIS)', () => {
  let admin: Client;
  let dataSource: DataSource;
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let zoneWriter: ZoneWriter;
  let zonesProjector: ZoneEventsProjector;
  let assetsProjector: AssetEventsProjector;
  let ingestor: PositionsIngestor;
  let geofenceStore: PgEventStore;
  let checkpoint: AllPosition = START;

  const args = (readModel: ReadModelName, extra: Partial<RebuildArgs> = {}): RebuildArgs => ({
    readModel,
    databaseUrl: url,
    eventStoreSchema: schema,
    pageSize: 2000,
    lockTimeoutMs: 2000,
    ...extra,
  });

  const envelope = <D>(type: string, data: D): Envelope<D> => ({
    id: randomUUID(),
    type,
    source: '/meridian/test',
    time: new Date().toISOString(),
    data,
    correlationId: randomUUID(),
    tenantId: TENANT,
    principal: testPrincipal(TENANT),
  });

  let read = 0;
  /**
   * What the relay and the projection service do for workflow's events, minus Kafka: every event
   * appended so far, in `$all` order. `$all` holds back what commits behind an older transaction still
   * running anywhere on the server (ADR 0001), so this waits until it has read them all.
   */
  async function project(): Promise<void> {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.events`);
    const deadline = Date.now() + 60_000;
    while (read < rows[0].n) {
      const events = await store.readAll(checkpoint, 100);
      if (events.length === 0) {
        if (Date.now() > deadline) throw new Error(`$all stalled at ${read} of ${rows[0].n} events`);
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      for (const e of events) await deliver(e);
      read += events.length;
      checkpoint = positionOf(events[events.length - 1]);
    }
  }

  /** Waits until `$all` shows every event appended so far, without delivering them. */
  async function visible(): Promise<void> {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.events`);
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      let seen = read;
      for (let after = checkpoint; ;) {
        const events = await store.readAll(after, 1000);
        if (events.length === 0) break;
        seen += events.length;
        after = positionOf(events[events.length - 1]);
      }
      if (seen >= rows[0].n) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('$all stalled');
  }

  async function deliver(e: RecordedEvent): Promise<void> {
    const m = toWorkflowIntegrationEvent(e);
    if (!m) return;
    const env = envelope(m.type, m.data);
    if (m.type === ZoneCreatedV2.type) await zonesProjector.created({ ...env, data: parseData(ZoneCreatedV2, env) });
    if (m.type === ZoneReplacedV2.type) await zonesProjector.replaced({ ...env, data: parseData(ZoneReplacedV2, env) });
    if (m.type === ZoneArchivedV1.type) await zonesProjector.archived({ ...env, data: parseData(ZoneArchivedV1, env) });
    if (m.type === AssetRegisteredV2.type) {
      await assetsProjector.registered({ ...env, data: parseData(AssetRegisteredV2, env) });
    }
    if (m.type === AssetStatusChangedV1.type) {
      await assetsProjector.statusChanged({ ...env, data: parseData(AssetStatusChangedV1, env) });
    }
  }

  const accepted = (reply: { data: unknown }): void => {
    expect(reply.data).toMatchObject({ outcome: 'accepted' });
  };
  const zone = {
    create: async (zoneId: string, geometry: ZoneGeometry, s: number, window: [number | null, number | null]) =>
      accepted(
        await createZone(
          store,
          settings,
          envelope(CreateZoneV2.type, {
            zoneId,
            kind: 'geofence' as const,
            name: `zone ${zoneId.slice(0, 4)}`,
            geometry,
            validFrom: window[0] === null ? null : iso(window[0]),
            validTo: window[1] === null ? null : iso(window[1]),
            sensitivity: 1,
            team: null,
          }),
          at(s),
        ),
      ),
    replace: async (zoneId: string, geometry: ZoneGeometry, s: number, name = 'moved') =>
      accepted(
        await replaceZone(
          store,
          settings,
          envelope(ReplaceZoneV2.type, {
            zoneId,
            name,
            geometry,
            validFrom: null,
            validTo: null,
            sensitivity: 2,
            team: 'ops',
          }),
          at(s),
        ),
      ),
    archive: async (zoneId: string, s: number) =>
      accepted(await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }), at(s))),
  };
  const asset = {
    register: async (assetId: string, s: number) =>
      accepted(
        await registerAsset(
          store,
          envelope(RegisterAssetV2.type, {
            assetId,
            name: 'drone',
            kind: 'drone' as const,
            sensitivity: 1,
            team: 'ops',
          }),
          at(s),
        ),
      ),
    status: async (assetId: string, to: 'available' | 'assigned' | 'maintenance', s: number) => {
      const result = await handle(
        store,
        assetDecider,
        assetStreamId(assetId),
        { type: 'ChangeAssetStatus', data: { assetId, tenantId: TENANT, to, now: iso(s), access: SYSTEM_ACCESS } },
        { commandId: randomUUID(), metadata: { tenantId: TENANT, correlationId: randomUUID() } },
      );
      expect(result.ok).toBe(true);
    },
  };
  type Fix = DataOf<typeof PositionBatchReportedV1>['fixes'][number];
  const fix = (assetId: string, s: number, lon: number, lat = 47.35, extra: Partial<Fix> = {}): Fix => ({
    assetId,
    ts: iso(s),
    lon,
    lat,
    ...extra,
  });
  /** One batch of fixes as one position-batch message: one write transaction, live geofencing in it. */
  const fixes = (batch: Fix[]) =>
    ingestor.storeBatches([{ ...envelope('meridian.telemetry.position-batch.v1', { fixes: batch }) }]);

  /** Rebuilds and compares the live table with the shadow under the swap's lock; returns both row sets. */
  async function rebuildComparing(
    readModel: ReadModelName,
    extra: Partial<RebuildArgs> = {},
    onProgress?: (p: RebuildProgress) => void | Promise<void>,
  ) {
    const { table, key, without } = COMPARED[readModel];
    const seen: { live?: Record<string, unknown>[]; shadow?: Record<string, unknown>[] } = {};
    const summary = await rebuildWith(readModel, extra, onProgress, async (client, tables) => {
      seen.live = await rowsOf(client, tables.live, key, without);
      seen.shadow = await rowsOf(client, tables.shadow, key, without);
    });
    if (!seen.live || !seen.shadow) throw new Error('the swap did not run');
    expect(summary.table).toBe(`read.${table}`);
    return { summary, live: seen.live, shadow: seen.shadow };
  }

  /** The CLI's rebuild (tools/projections.ts) with a check under the lock. */
  async function rebuildWith(
    readModel: ReadModelName,
    extra: Partial<RebuildArgs>,
    onProgress: ((p: RebuildProgress) => void | Promise<void>) | undefined,
    beforeSwap: (client: PoolClient, tables: { live: string; shadow: string }) => Promise<void>,
  ): Promise<RebuildSummary> {
    return rebuild(args(readModel, extra), onProgress, { beforeSwap });
  }

  const ids = {
    moved: randomUUID(),
    archived: randomUUID(),
    closed: randomUUID(),
    opened: randomUUID(),
    lateFixes: randomUUID(),
    fixFirst: randomUUID(),
    noFixes: randomUUID(),
    unregistered: randomUUID(),
    inBatchLate: randomUUID(),
    inClosed: randomUUID(),
  };

  beforeAll(async () => {
    admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const db = new Client({ connectionString: url });
    await db.connect();
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
    await db.end();
    dataSource = await createReadModelDataSource({ url, poolSize: 8, applicationName: 'rebuild-spec' }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    schema = `wf_${randomBytes(4).toString('hex')}`;
    await migrate(pool, schema, eventStoreMigrations(schema));
    await migrate(pool, 'geofence', eventStoreMigrations('geofence'));
    store = new PgEventStore(pool, schema);
    geofenceStore = new PgEventStore(pool, 'geofence');
    const geofencer = new Geofencer(geofenceStore);
    zoneWriter = new ZoneWriter(pool, geofencer);
    zonesProjector = new ZoneEventsProjector(pool, geofencer);
    assetsProjector = new AssetEventsProjector(pool);
    ingestor = new PositionsIngestor(pool, geofencer);

    // Zones: one replaced twice (moved away and back), one archived with an asset inside, one whose
    // validity window closed with an asset inside (the schedule closed the stay: evaluated_active
    // false, though valid when created), one whose window opened after it was created (the schedule
    // counted it in: evaluated_active true, though not valid when created).
    await zone.create(ids.moved, square(8.5, 47.3), 10, [null, null]);
    await zone.create(ids.archived, square(10, 47.3), 11, [null, null]);
    await zone.create(ids.closed, square(11, 47.3), 150, [100, 300]);
    await zone.create(ids.opened, square(12, 47.3), 200, [500, null]);
    await project();
    // Assets: registered with status changes and fixes in three batches, the last one late only
    // (previous_ts stays the newest before the batch that brought the newest fix); fixes before the
    // registration; registered without fixes; fixes without a registration; a batch with a late fix
    // inside it.
    await asset.register(ids.lateFixes, 5);
    await asset.status(ids.lateFixes, 'available', 6);
    await asset.register(ids.noFixes, 7);
    await asset.register(ids.inClosed, 8);
    await project();
    await fixes([fix(ids.lateFixes, 20, 8.45, 47.35, { alt: 120.5, speed: 3 }), fix(ids.lateFixes, 30, 8.52)]);
    await fixes([fix(ids.fixFirst, 25, 10.05), fix(ids.unregistered, 26, 1, 1), fix(ids.inClosed, 160, 11.05)]);
    await fixes([fix(ids.lateFixes, 40, 8.55, 47.35, { battery: 80 }), fix(ids.lateFixes, 50, 8.58)]);
    await fixes([fix(ids.lateFixes, 35, 8.4), fix(ids.lateFixes, 45, 8.41), fix(ids.inBatchLate, 70, 3, 3)]);
    await fixes([fix(ids.inBatchLate, 90, 3, 3.1), fix(ids.inBatchLate, 80, 3, 3.2)]);
    await fixes([fix(ids.inBatchLate, 100, 3, 3.3, { heading: 90, accuracy: 4 })]);
    await asset.register(ids.fixFirst, 60);
    await asset.status(ids.fixFirst, 'maintenance', 61);
    await asset.status(ids.lateFixes, 'assigned', 62);
    await project();
    await zone.replace(ids.moved, square(9, 47.3), 300);
    await zone.replace(ids.moved, square(8.5, 47.3), 310, 'back');
    await zone.archive(ids.archived, 320);
    await project();
    expect(await zoneWriter.validityTick(at(400))).toHaveLength(1); // closes the stay in `closed`
    await zoneWriter.validityTick(at(600)); // counts `opened` in
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('rebuilds read.zones equal to the live table, evaluated_active included, indexes under their names', async () => {
    const before = await shapeOf(pool, 'zones');
    const evaluated = await pool.query<{ zone_id: string; evaluated_active: boolean }>(
      `SELECT zone_id, evaluated_active FROM read.zones WHERE zone_id = ANY($1::uuid[]) ORDER BY valid_from`,
      [[ids.closed, ids.opened]],
    );
    // The validity schedule flipped both against what their window said when they were created.
    expect(evaluated.rows).toEqual([
      { zone_id: ids.closed, evaluated_active: false },
      { zone_id: ids.opened, evaluated_active: true },
    ]);
    const visits = await pool.query('SELECT * FROM read.zone_visits ORDER BY zone_id, asset_id');
    const transitions = await pool.query('SELECT count(*)::int AS n FROM geofence.events');

    const { summary, live, shadow } = await rebuildComparing('zones');

    expect(live).toHaveLength(4);
    expect(shadow).toEqual(live);
    // The access attributes are rebuilt too: the replaced zone took sensitivity 2 and team ops.
    expect(live.find((r) => r['zone_id'] === ids.moved)).toMatchObject({ sensitivity: 2, team: 'ops' });
    // 4 created, 2 replaced, 1 archived; the asset events are read and passed over.
    expect(summary).toMatchObject({ phase: 'done', rowsChanged: 7, refused: 0, swapAttempts: 1 });
    expect(await rowsOf(pool, 'read.zones', 'zone_id')).toEqual(live);
    expect(await shapeOf(pool, 'zones')).toEqual(before);
    // No geofencing: stays and transitions as they were.
    expect((await pool.query('SELECT * FROM read.zone_visits ORDER BY zone_id, asset_id')).rows).toEqual(visits.rows);
    expect((await pool.query('SELECT count(*)::int AS n FROM geofence.events')).rows).toEqual(transitions.rows);
    const leftovers = await pool.query(
      `SELECT relname FROM pg_class WHERE relname LIKE '%\\_\\_rebuild' OR relname LIKE '%\\_\\_old'`,
    );
    expect(leftovers.rows).toEqual([]);
    expect(await migrateReadModel(dataSource)).toEqual([]);
  });

  it('rebuilds read.asset_latest from events and stored fixes, previous_ts as the write path left it', async () => {
    const before = await shapeOf(pool, 'asset_latest');

    const { live, shadow } = await rebuildComparing('asset-latest');

    expect(live).toHaveLength(6);
    expect(shadow).toEqual(live);
    const late = live.find((r) => r['asset_id'] === ids.lateFixes) ?? {};
    // Newest t50 came in the batch [t40, t50]; the batch before brought t30; late t35 and t45 moved nothing.
    expect(late).toMatchObject({ status: 'assigned', version: 3, sensitivity: 1, team: 'ops' });
    expect([Date.parse(String(late['ts'])), Date.parse(String(late['previous_ts']))]).toEqual([
      at(50).getTime(),
      at(30).getTime(),
    ]);
    expect(await rowsOf(pool, 'read.asset_latest', 'asset_id', ['updated_at'])).toEqual(live);
    expect(await shapeOf(pool, 'asset_latest')).toEqual(before);
  });

  it('takes writes during a rebuild: readers are not blocked, new events end up in the swapped-in table', async () => {
    // Enough events for the fill to take many pages while the writes go on.
    for (let i = 0; i < 150; i++) await asset.register(randomUUID(), 650);
    await project();
    for (const readModel of ['zones', 'asset-latest'] as const) {
      const { table, key, without } = COMPARED[readModel];
      const liveTable = `read.${table}`;
      let running = true;
      let started!: () => void;
      const fillStarted = new Promise<void>((r) => (started = r));
      let wrote!: () => void;
      const firstWrite = new Promise<void>((r) => (wrote = r));
      let readDuringFill: Promise<number> | null = null;
      const reader = await pool.connect();
      await reader.query(`SET lock_timeout = '1s'`);
      const created: string[] = [];
      const writes = (async () => {
        await fillStarted;
        for (let i = 0; running; i++) {
          const zoneId = randomUUID();
          const assetId = randomUUID();
          await zone.create(zoneId, square(20 + i * 0.01, 10), 700 + i, [null, null]);
          await asset.register(assetId, 700 + i);
          await fixes([fix(assetId, 700 + i, 20 + i * 0.01 + 0.001, 10.001), fix(ids.inBatchLate, 700 + i, 3, 3)]);
          await project();
          created.push(zoneId, assetId);
          wrote();
        }
      })();
      const beforeSwap = { delivered: [] as string[], inShadow: -1 };
      const summary = await rebuildWith(
        readModel,
        { pageSize: 2 },
        async (p) => {
          // The catch-up starts only once something was written and delivered since the fill began.
          if (p.phase === 'catch-up') await firstWrite;
          if (p.phase !== 'fill' || p.eventsRead === 0 || readDuringFill) return;
          // A plain read of the live table while the shadow fills: no lock to wait for (1 s lock_timeout).
          readDuringFill = reader.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${liveTable}`).then((r) => {
            return r.rows[0].n;
          });
          started();
        },
        async (client, tables) => {
          running = false;
          // Written and delivered to the live table while the rebuild ran: in the shadow too.
          beforeSwap.delivered = [...created];
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${tables.shadow} WHERE ${key} = ANY($1::uuid[])`,
            [beforeSwap.delivered],
          );
          beforeSwap.inShadow = rows[0].n;
        },
      );
      await writes;
      await project();
      reader.release();
      expect(summary.phase).toBe('done');
      expect(await readDuringFill).toBeGreaterThan(0);
      expect(beforeSwap.delivered.length).toBeGreaterThan(0);
      expect(beforeSwap.inShadow).toBe(beforeSwap.delivered.length / 2);
      const present = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${liveTable} WHERE ${key} = ANY($1::uuid[])`,
        [created],
      );
      expect(present.rows[0].n).toBe(created.length / 2);
      // The swapped-in table, with the projector's writes since, equals a rebuild made now.
      const { live, shadow } = await rebuildComparing(readModel);
      expect(shadow).toEqual(live);
      expect(await rowsOf(pool, liveTable, key, without)).toEqual(live);
    }
  });

  it('takes zone events the projector has not delivered yet; the validity schedule does their geofencing', async () => {
    const assetId = randomUUID();
    await asset.register(assetId, 800);
    await project();
    await fixes([fix(assetId, 800, 30.05, 10.05)]);
    const lagging = randomUUID();
    await zone.create(lagging, square(30, 10), 810, [null, null]); // appended, not delivered yet
    await visible();

    const { live, shadow } = await rebuildComparing('zones');

    const inShadow = shadow.find((r) => r['zone_id'] === lagging);
    expect(inShadow).toMatchObject({ version: 1, evaluated_active: false });
    expect(shadow.filter((r) => r !== inShadow)).toEqual(live);
    await project(); // the projector's own delivery: the row has its version already, nothing happens
    expect(await geofenceStore.readStream(geofenceStreamId(assetId))).toEqual([]);
    await zoneWriter.validityTick(new Date());
    const made = await geofenceStore.readStream(geofenceStreamId(assetId));
    expect(made.map((e) => [e.type, (e.data as { zoneId: string; cause: string }).cause])).toEqual([
      ['geofence.entered.v1', 'validity'],
    ]);
  });

  it('restores rows the live table lost or got wrong', async () => {
    const expected = {
      zones: await rowsOf(pool, 'read.zones', 'zone_id'),
      assets: await rowsOf(pool, 'read.asset_latest', 'asset_id', ['updated_at']),
    };
    await pool.query(`DELETE FROM read.zones WHERE zone_id = $1`, [ids.archived]);
    await pool.query(`UPDATE read.zones SET name = 'garbage', geom = ST_Buffer(geom, 1) WHERE zone_id = $1`, [
      ids.moved,
    ]);
    await pool.query(`UPDATE read.asset_latest SET status = 'retired', previous_ts = NULL WHERE asset_id = $1`, [
      ids.lateFixes,
    ]);
    await pool.query(`DELETE FROM read.asset_latest WHERE asset_id = $1`, [ids.unregistered]);

    await rebuild(args('zones'));
    await rebuild(args('asset-latest'));

    // The archived zone comes back with evaluated_active false (geofencing never counted the row
    // the live table lacks), which it had anyway: archived zones count nowhere.
    expect(await rowsOf(pool, 'read.zones', 'zone_id')).toEqual(expected.zones);
    expect(await rowsOf(pool, 'read.asset_latest', 'asset_id', ['updated_at'])).toEqual(expected.assets);
  });

  it('runs from the command line; an unknown read model is a usage error (exit 2)', () => {
    const cli = (...argv: string[]) =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/projections.ts', ...argv], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url },
      });
    const ok = cli('rebuild', 'zones', `--event-store-schema=${schema}`, '--page-size=3');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/\[projections\] read\.zones fill: /);
    expect(ok.stdout).toMatch(/\[projections\] rebuilt read\.zones: \d+ events read, \d+ applied .* swap: lock waited/);

    const bad = cli('rebuild', 'missions');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown read model missions');
    expect(bad.stderr).toContain('usage: npm run projections -- rebuild zones|asset-latest');
  }, 60_000);
});
