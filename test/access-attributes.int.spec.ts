/**
 * Access attributes from command to read row (issue 9): workflow's handlers decide `assets:write`
 * and `zones:write` in process and store v2 events; events stored before v2 are read through
 * `workflowUpcasters`; the relay's mapper publishes both as v2; the projection's own projectors
 * write `sensitivity` and `team` into asset_latest and zones. v1 integration events still on the
 * topic land as sensitivity 0 and no team. Kafka is left out (as in projections-rebuild): messages
 * are checked against their contract and handed to the projector route of their type.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssetRegisteredV1, AssetRegisteredV2, RegisterAssetV2 } from '@meridian/contracts/assets';
import { type Envelope, parseData } from '@meridian/contracts/core';
import type { Principal, Region } from '@meridian/contracts/identity';
import {
  CreateZoneV2,
  ReplaceZoneV2,
  ZoneCreatedV1,
  ZoneCreatedV2,
  type ZoneGeometry,
  ZoneReplacedV1,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import { AssetEventsProjector } from '@meridian/projection/feature-assets';
import { ZoneEventsProjector } from '@meridian/projection/feature-zones';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { Geofencer } from '@meridian/read-model/zones';
import { eventStoreMigrations, migrate, PgEventStore, positionOf, START } from '@meridian/shared/event-store';
import { squarePolygon } from '@meridian/shared/geometry';
import { freshSchema, testDatabaseUrl } from '@meridian/shared/testing';
import { assetStreamId, workflowUpcasters, zoneStreamId } from '@meridian/workflow/domain';
import { registerAsset } from '@meridian/workflow/feature-assets';
import { createZone, replaceZone } from '@meridian/workflow/feature-zones';
import { toWorkflowIntegrationEvent } from '../apps/workflow/src/app.module';
// Relative until @meridian/shared/testing exports it (libs/shared/testing/src/index.ts is the integrator's).
import { testPrincipal } from '@meridian/shared/testing';

const run = randomBytes(3).toString('hex');
const TENANT = `attrs-${run}`;
const settings = { maxVertices: 1000 };
const now = new Date();
const depot = squarePolygon(8.5, 47.3, 0.1);
const far = squarePolygon(20, 50, 0.1);
const zurich: Region = {
  type: 'Polygon',
  coordinates: [
    [
      [8.4, 47.2],
      [8.8, 47.2],
      [8.8, 47.6],
      [8.4, 47.6],
      [8.4, 47.2],
    ],
  ],
};

const envelope = <D>(type: string, data: D, principal?: Partial<Principal>): Envelope<D> => ({
  id: randomUUID(),
  type,
  source: '/meridian/test',
  time: now.toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId: TENANT,
  principal: testPrincipal(TENANT, principal),
});

interface Row {
  sensitivity: number;
  team: string | null;
  version: number;
}

describe('access attributes: workflow → relay mapper → projection → read rows (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let store: PgEventStore;
  let dropSchemas: (() => Promise<void>)[] = [];
  let assets: AssetEventsProjector;
  let zones: ZoneEventsProjector;
  const published: string[] = [];

  /** What the relay and the projection service do with every workflow event stored so far. */
  async function relay(): Promise<void> {
    for (let after = START; ;) {
      const events = await store.readAll(after, 500);
      if (events.length === 0) return;
      for (const e of events) {
        const m = toWorkflowIntegrationEvent(e);
        if (m) await deliver(envelope(m.type, m.data));
      }
      after = positionOf(events[events.length - 1]);
    }
  }

  /** One message to the projector route of its type, checked against that route's contract. */
  async function deliver(env: Envelope): Promise<void> {
    published.push(env.type);
    switch (env.type) {
      case AssetRegisteredV2.type:
        return assets.registered({ ...env, data: parseData(AssetRegisteredV2, env) });
      case AssetRegisteredV1.type:
        return assets.registeredV1({ ...env, data: parseData(AssetRegisteredV1, env) });
      case ZoneCreatedV2.type:
        return zones.created({ ...env, data: parseData(ZoneCreatedV2, env) });
      case ZoneCreatedV1.type:
        return zones.createdV1({ ...env, data: parseData(ZoneCreatedV1, env) });
      case ZoneReplacedV2.type:
        return zones.replaced({ ...env, data: parseData(ZoneReplacedV2, env) });
      case ZoneReplacedV1.type:
        return zones.replacedV1({ ...env, data: parseData(ZoneReplacedV1, env) });
      default:
        throw new Error(`no route for ${env.type}`);
    }
  }

  const assetRow = async (assetId: string): Promise<Row | undefined> =>
    (await pool.query<Row>(`SELECT sensitivity, team, version FROM read.asset_latest WHERE asset_id = $1`, [assetId]))
      .rows[0];
  const zoneRow = async (zoneId: string): Promise<Row | undefined> =>
    (await pool.query<Row>(`SELECT sensitivity, team, version FROM read.zones WHERE zone_id = $1`, [zoneId])).rows[0];

  const register = (assetId: string, access: { sensitivity: number; team: string | null }, as?: Partial<Principal>) =>
    registerAsset(
      store,
      envelope(RegisterAssetV2.type, { assetId, name: 'drone', kind: 'drone' as const, ...access }, as),
      now,
    );
  const zoneContent = (geometry: ZoneGeometry, sensitivity: number, team: string | null) => ({
    name: 'zone',
    geometry,
    validFrom: null,
    validTo: null,
    sensitivity,
    team,
  });
  const create = (zoneId: string, content: ReturnType<typeof zoneContent>, as?: Partial<Principal>) =>
    createZone(
      store,
      settings,
      envelope(CreateZoneV2.type, { ...content, zoneId, kind: 'restricted' as const }, as),
      now,
    );
  const replace = (zoneId: string, content: ReturnType<typeof zoneContent>, as?: Partial<Principal>) =>
    replaceZone(store, settings, envelope(ReplaceZoneV2.type, { ...content, zoneId }, as), now);

  const ids = {
    oldAsset: randomUUID(),
    newAsset: randomUUID(),
    deniedAsset: randomUUID(),
    v1Asset: randomUUID(),
    oldZone: randomUUID(),
    newZone: randomUUID(),
    deniedZone: randomUUID(),
    v1Zone: randomUUID(),
  };

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 4,
      applicationName: `access-attributes-${run}`,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const workflow = freshSchema(pool, 'wf_attrs');
    const geofence = freshSchema(pool, 'gf_attrs');
    dropSchemas = [workflow.cleanup, geofence.cleanup];
    await migrate(pool, workflow.schema, eventStoreMigrations(workflow.schema));
    await migrate(pool, geofence.schema, eventStoreMigrations(geofence.schema));
    // As the workflow service reads its store: through the upcasters.
    store = new PgEventStore(pool, workflow.schema, workflowUpcasters);
    assets = new AssetEventsProjector(pool);
    zones = new ZoneEventsProjector(pool, new Geofencer(new PgEventStore(pool, geofence.schema)));

    // Stored before access attributes existed: the events as workflow wrote them then.
    const meta = { tenantId: TENANT };
    await store.append(assetStreamId(ids.oldAsset), 0, [
      {
        id: randomUUID(),
        type: 'asset.registered.v1',
        data: { assetId: ids.oldAsset, tenantId: TENANT, name: 'old', kind: 'sensor', registeredAt: now.toISOString() },
        metadata: meta,
      },
    ]);
    const oldContent = { name: 'old', geometry: depot, validFrom: null, validTo: null, sensitivity: 2 };
    await store.append(zoneStreamId(ids.oldZone), 0, [
      {
        id: randomUUID(),
        type: 'zone.created.v1',
        data: { ...oldContent, zoneId: ids.oldZone, tenantId: TENANT, kind: 'geofence', createdAt: now.toISOString() },
        metadata: meta,
      },
      {
        id: randomUUID(),
        type: 'zone.replaced.v1',
        data: { ...oldContent, name: 'old, renamed', zoneId: ids.oldZone, replacedAt: now.toISOString() },
        metadata: meta,
      },
    ]);
  });

  afterAll(async () => {
    await pool?.query('DELETE FROM read.zone_visits WHERE tenant_id = $1', [TENANT]);
    await pool?.query('DELETE FROM read.zones WHERE tenant_id = $1', [TENANT]);
    await pool?.query('DELETE FROM read.asset_latest WHERE tenant_id = $1', [TENANT]);
    for (const drop of dropSchemas) await drop();
    await dataSource?.destroy();
  });

  it('refuses what the principal may not write, with the AUTH code, and stores nothing of it', async () => {
    const operator: Partial<Principal> = { roles: ['operator'], clearance: 1, teams: ['blue'], region: zurich };
    expect((await register(ids.deniedAsset, { sensitivity: 2, team: null }, operator)).data).toMatchObject({
      outcome: 'rejected',
      code: 'AUTH.CLEARANCE',
    });
    expect((await register(ids.deniedAsset, { sensitivity: 1, team: 'red' }, operator)).data).toMatchObject({
      code: 'AUTH.TEAM',
    });
    expect((await create(ids.deniedZone, zoneContent(far, 0, 'blue'), operator)).data).toMatchObject({
      code: 'AUTH.OUTSIDE_REGION',
    });
    expect((await create(ids.deniedZone, zoneContent(depot, 0, 'red'), operator)).data).toMatchObject({
      code: 'AUTH.TEAM',
    });
    // The old zone has sensitivity 2: a clearance-1 principal may not take it over.
    expect((await replace(ids.oldZone, zoneContent(depot, 0, 'blue'), operator)).data).toMatchObject({
      code: 'AUTH.CLEARANCE',
    });
    expect(await store.readStream(assetStreamId(ids.deniedAsset))).toEqual([]);
    expect(await store.readStream(zoneStreamId(ids.deniedZone))).toEqual([]);
    expect(await store.readStream(zoneStreamId(ids.oldZone))).toHaveLength(2);
  });

  it('lands sensitivity and team of new and upcast old events in asset_latest and zones', async () => {
    const blue: Partial<Principal> = { roles: ['operator'], clearance: 2, teams: ['blue'], region: zurich };
    expect((await register(ids.newAsset, { sensitivity: 2, team: 'blue' }, blue)).data).toMatchObject({
      outcome: 'accepted',
    });
    expect((await create(ids.newZone, zoneContent(depot, 1, 'blue'), blue)).data).toMatchObject({
      outcome: 'accepted',
    });
    // The old zone read back upcast (no team): a blue-team principal of enough clearance may claim it.
    expect((await replace(ids.oldZone, zoneContent(depot, 2, 'blue'), blue)).data).toMatchObject({
      outcome: 'accepted',
      version: 3,
    });

    await relay();

    // Everything the mapper published is v2 (the old events too) or has no v2.
    expect(published).not.toContain(AssetRegisteredV1.type);
    expect(published).not.toContain(ZoneCreatedV1.type);
    expect(published).not.toContain(ZoneReplacedV1.type);
    expect(await assetRow(ids.oldAsset)).toEqual({ sensitivity: 0, team: null, version: 1 });
    expect(await assetRow(ids.newAsset)).toEqual({ sensitivity: 2, team: 'blue', version: 1 });
    expect(await zoneRow(ids.newZone)).toEqual({ sensitivity: 1, team: 'blue', version: 1 });
    expect(await zoneRow(ids.oldZone)).toEqual({ sensitivity: 2, team: 'blue', version: 3 });
    expect(await assetRow(ids.deniedAsset)).toBeUndefined();
    expect(await zoneRow(ids.deniedZone)).toBeUndefined();
  });

  it('lands v1 integration events still on the topic as sensitivity 0 (assets) and no team', async () => {
    const at = now.toISOString();
    await deliver(
      envelope(AssetRegisteredV1.type, {
        assetId: ids.v1Asset,
        tenantId: TENANT,
        name: 'from the topic',
        kind: 'crew',
        status: 'registered',
        version: 1,
        registeredAt: at,
      }),
    );
    const content = { name: 'from the topic', geometry: depot, validFrom: null, validTo: null, sensitivity: 3 };
    const base = { zoneId: ids.v1Zone, tenantId: TENANT };
    await deliver(envelope(ZoneCreatedV1.type, { ...content, ...base, version: 1, kind: 'geofence', createdAt: at }));
    expect(await zoneRow(ids.v1Zone)).toEqual({ sensitivity: 3, team: null, version: 1 });
    await deliver(
      envelope(ZoneCreatedV2.type, { ...content, ...base, team: 'red', version: 2, kind: 'geofence', createdAt: at }),
    );
    expect(await zoneRow(ids.v1Zone)).toEqual({ sensitivity: 3, team: 'red', version: 2 });
    await deliver(envelope(ZoneReplacedV1.type, { ...content, ...base, sensitivity: 1, version: 3, replacedAt: at }));

    expect(await assetRow(ids.v1Asset)).toEqual({ sensitivity: 0, team: null, version: 1 });
    expect(await zoneRow(ids.v1Zone)).toEqual({ sensitivity: 1, team: null, version: 3 });
  });
});
