import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ZoneGeometry } from '@meridian/contracts/zones';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { Geofencer, geofenceStreamId, ZoneWriter } from '@meridian/read-model/zones';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { freshSchema, testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';
import { squarePolygon } from '@meridian/shared/geometry';

/*
 * Live geofencing on the read schema as migrateReadModel makes it: fixes stored by PositionsWriter
 * with the Geofencer as its in-transaction hook, zone changes through ZoneWriter, transitions as
 * events in a fresh `geofence` event store. In data-source, as the other read-model write specs.
 */

const run = randomBytes(3).toString('hex');
// A tenant per test: zones of one test must not contain another test's assets.
let tenant = `gf${run}-0`;
const tenants: string[] = [];
const square = squarePolygon;
// A zone around 8.50–8.60 E, 47.30–47.40 N; x = 8.45 is west of it, 8.55 inside, 8.65 east of it.
const depot = square(8.5, 47.3, 0.1);
const base = Date.now() - 60 * 60 * 1000;
const at = (s: number): string => new Date(base + s * 1000).toISOString();

describe.each(['memory', 'sql'] as const)(
  'geofencing (%s index): fixes and zone changes → stays and events',
  (index) => {
    let dataSource: DataSource;
    let pool: Pool;
    let store: PgEventStore;
    let dropStore: () => Promise<void>;
    let positions: PositionsWriter;
    let zones: ZoneWriter;
    let geofencer: Geofencer;

    const fix = (assetId: string, s: number, lon: number, lat = 47.35, tenantId = tenant): PositionRow => ({
      tenantId,
      assetId,
      ts: at(s),
      lon,
      lat,
    });
    const write = (rows: PositionRow[]) => positions.write(rows, geofencer.hook());
    const transitions = async (assetId: string) =>
      (await store.readStream(geofenceStreamId(assetId))).map((e) => {
        const d = e.data as { zoneId: string; ts: string; cause: string };
        return [e.type.replace('geofence.', '').replace('.v1', ''), d.zoneId, d.ts, d.cause];
      });
    const visits = async (assetId: string) =>
      (
        await pool.query<{ zone_id: string; entered_at: Date; exited_at: Date | null }>(
          'SELECT zone_id, entered_at, exited_at FROM read.zone_visits WHERE asset_id = $1 ORDER BY entered_at',
          [assetId],
        )
      ).rows.map((r) => [r.zone_id, r.entered_at.toISOString(), r.exited_at?.toISOString() ?? null]);
    const register = async (assetId: string, tenantId = tenant) =>
      new AssetLatestWriter(pool).applyRegistration({
        assetId,
        tenantId,
        name: 'drone',
        kind: 'drone',
        status: 'registered',
        version: 1,
      });
    const createZone = async (
      geometry = depot,
      extra: { validFrom?: string; validTo?: string; tenantId?: string } = {},
    ) => {
      const zoneId = randomUUID();
      await zones.created({
        zoneId,
        tenantId: extra.tenantId ?? tenant,
        name: 'Depot',
        kind: 'geofence',
        geometry,
        validFrom: extra.validFrom ?? null,
        validTo: extra.validTo ?? null,
        sensitivity: 0,
        version: 1,
        createdAt: at(0),
      });
      return zoneId;
    };

    beforeAll(async () => {
      dataSource = await createReadModelDataSource({
        url: testDatabaseUrl(),
        poolSize: 6,
        applicationName: `geofencing-spec-${run}`,
      }).initialize();
      await migrateReadModel(dataSource);
      pool = poolOf(dataSource);
      const fresh = freshSchema(pool, 'geofence');
      dropStore = fresh.cleanup;
      await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
      store = new PgEventStore(pool, fresh.schema);
      geofencer = new Geofencer(store, { index });
      positions = new PositionsWriter(pool);
      zones = new ZoneWriter(pool, geofencer);
    });

    beforeEach(() => {
      tenant = `gf${run}-${tenants.length}`;
      tenants.push(tenant, `${tenant}x`);
    });

    afterAll(async () => {
      for (const t of tenants) {
        await pool?.query('DELETE FROM read.zone_visits WHERE tenant_id = $1', [t]);
        await pool?.query('DELETE FROM read.zones WHERE tenant_id = $1', [t]);
        await pool?.query('DELETE FROM read.asset_latest WHERE tenant_id = $1', [t]);
      }
      await dropStore?.();
      await dataSource?.destroy();
    });

    it('a drive through a zone gives exactly one enter then one exit, and one closed stay', async () => {
      const zoneId = await createZone();
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 10, 8.45), fix(assetId, 20, 8.52), fix(assetId, 30, 8.55)]);
      await write([fix(assetId, 40, 8.58), fix(assetId, 50, 8.65), fix(assetId, 60, 8.7)]);
      expect(await transitions(assetId)).toEqual([
        ['entered', zoneId, at(20), 'fix'],
        ['exited', zoneId, at(50), 'fix'],
      ]);
      expect(await visits(assetId)).toEqual([[zoneId, at(20), at(50)]]);
    });

    it('repeated and late fixes are stored but make no transitions; a redelivered batch makes none', async () => {
      const zoneId = await createZone();
      const assetId = randomUUID();
      await register(assetId);
      const batch = [fix(assetId, 10, 8.45), fix(assetId, 20, 8.55)];
      await write(batch);
      await write(batch); // redelivery after a crash before the offset commit
      await write([fix(assetId, 15, 8.45), fix(assetId, 20, 8.45)]); // late, and a repeat of ts 20 elsewhere
      await write([fix(assetId, 30, 8.56), fix(assetId, 25, 8.3)]); // in the same batch, 25 is late after 30
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(20), 'fix']]);
      const { rows } = await pool.query('SELECT ts FROM read.positions WHERE asset_id = $1', [assetId]);
      expect(rows).toHaveLength(5); // 10, 15, 20, 25, 30: the late ones are stored
      expect(await visits(assetId)).toEqual([[zoneId, at(20), null]]);
    });

    it('a transaction failing after the geofence check leaves nothing; a retry makes transitions once', async () => {
      const zoneId = await createZone();
      const assetId = randomUUID();
      await register(assetId);
      const batch = [fix(assetId, 10, 8.55)];
      const hook = geofencer.hook();
      await expect(
        positions.write(batch, {
          before: hook.before,
          after: async (...args) => {
            await hook.after?.(...args);
            throw new Error('crash before commit');
          },
        }),
      ).rejects.toThrow('crash before commit');
      expect(await transitions(assetId)).toEqual([]);
      await write(batch);
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(10), 'fix']]);
    });

    it('archiving a zone with an asset inside gives one exit; the redelivered event gives nothing', async () => {
      const zoneId = await createZone();
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 10, 8.55)]);
      const archived = { zoneId, tenantId: tenant, version: 2, archivedAt: at(100) };
      expect(await zones.archived(archived)).toBe(true);
      expect(await zones.archived(archived)).toBe(false);
      expect(await transitions(assetId)).toEqual([
        ['entered', zoneId, at(10), 'fix'],
        ['exited', zoneId, at(100), 'zone-archived'],
      ]);
      await write([fix(assetId, 110, 8.56)]); // an archived zone no longer counts
      expect(await visits(assetId)).toEqual([[zoneId, at(10), at(100)]]);
    });

    it('replacing the geometry moves the assets out and in; a new zone around an asset lets it enter', async () => {
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 10, 8.55)]);
      const zoneId = await createZone();
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(10), 'zone-created']]);
      const replace = (geometry: ZoneGeometry, version: number, s: number) =>
        zones.replaced({
          zoneId,
          tenantId: tenant,
          name: 'Moved',
          geometry,
          validFrom: null,
          validTo: null,
          sensitivity: 0,
          version,
          replacedAt: at(s),
        });
      await replace(square(9, 47.3, 0.1), 2, 100);
      await replace(depot, 3, 200);
      expect((await transitions(assetId)).slice(1)).toEqual([
        ['exited', zoneId, at(100), 'zone-replaced'],
        ['entered', zoneId, at(200), 'zone-replaced'],
      ]);
    });

    it("counts a zone only in its validity window, at the fix's time; the schedule closes stays after it", async () => {
      const zoneId = await createZone(depot, { validFrom: at(100), validTo: at(200) });
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 50, 8.55)]); // before the window: nothing
      await write([fix(assetId, 150, 8.55)]); // inside it: enter
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(150), 'fix']]);
      await zones.validityTick(new Date(base + 250_000));
      await zones.validityTick(new Date(base + 260_000)); // nothing changed since: nothing more
      expect(await transitions(assetId)).toEqual([
        ['entered', zoneId, at(150), 'fix'],
        ['exited', zoneId, at(200), 'validity'], // when the window closed, not when the tick ran
      ]);
    });

    it('checks a fix after a zone changed against the new geometry', async () => {
      const zoneId = await createZone();
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 10, 8.3)]); // outside, and outside the new geometry too: no re-evaluation entry
      await zones.replaced({
        zoneId,
        tenantId: tenant,
        name: 'Moved',
        geometry: square(9, 47.3, 0.1),
        validFrom: null,
        validTo: null,
        sensitivity: 0,
        version: 2,
        replacedAt: at(20),
      });
      await write([fix(assetId, 30, 8.55), fix(assetId, 40, 9.05)]); // the old area, then the new one
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(40), 'fix']]);
    });

    it('a zone drawn while a batch is being stored waits for it, and then lets the asset enter', async () => {
      const assetId = randomUUID();
      await register(assetId);
      await write([fix(assetId, 10, 8.3)]);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let zoneDone = false;
      const hook = geofencer.hook();
      // The batch moves the asset into the area the zone is about to cover, and stalls before commit.
      const batch = positions.write([fix(assetId, 20, 8.55)], {
        before: hook.before,
        after: async (client, rows, newest, micros) => {
          await hook.after?.(client, rows, newest, micros);
          await gate;
        },
      });
      await new Promise((r) => setTimeout(r, 100));
      const zone = createZone().then((id) => {
        zoneDone = true;
        return id;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(zoneDone).toBe(false); // the zone change waits for the batch of its tenant
      release();
      await batch;
      const zoneId = await zone;
      expect(await transitions(assetId)).toEqual([['entered', zoneId, at(20), 'zone-created']]);
      expect(await visits(assetId)).toEqual([[zoneId, at(20), null]]);
    });

    it("another tenant's zone does not see this tenant's assets", async () => {
      await createZone(depot, { tenantId: `${tenant}x` });
      const assetId = randomUUID();
      await register(assetId);
      const ownZone = await createZone(square(20, 10, 0.1));
      await write([fix(assetId, 10, 8.55)]);
      expect(await transitions(assetId)).toEqual([]);
      expect(ownZone).toBeDefined();
    });
  },
);
