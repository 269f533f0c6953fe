import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client, type Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetErrors, AssetFeature } from '@meridian/contracts/assets';
import { type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { READ_POOL, ReadModelModule } from '@meridian/read-model/data-source';
import { PositionsWriter } from '@meridian/read-model/positions';
import type { ReplyBody } from '@meridian/shared/messaging';
import { CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import { describePlanNode, explainPlan, type SentQuery, sentQuery, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { GeoQueryAssetsModule } from '../geo-query-assets.module';
import { GetAssetHandler } from './get-asset.handler';

const run = randomBytes(3).toString('hex');
const tenantPrefix = `gq${run}-`;
const tenants = { owner: `${tenantPrefix}owner`, other: `${tenantPrefix}other`, fleet: `${tenantPrefix}fleet` };
const today = new Date().toISOString().slice(0, 10);

/** What CoreModule gives a service, as much as the read-model module needs. */
@Global()
@Module({
  providers: [
    { provide: CONFIG, useValue: { DATABASE_URL: testDatabaseUrl(), DATABASE_POOL_SIZE: 4 } },
    { provide: SERVICE_NAME, useValue: 'geo-query-spec' },
    { provide: LOGGER, useValue: pino({ level: 'silent' }) },
  ],
  exports: [CONFIG, SERVICE_NAME, LOGGER],
})
class TestCoreModule {}

/** geo-query's wiring of this feature (migrating here: the projection would, in a running system). */
@Module({ imports: [TestCoreModule, ReadModelModule.forRoot({ migrate: true }), GeoQueryAssetsModule] })
class TestGeoQueryModule {}

/** A request as the gateway sends it: the tenant and its principal (an unrestricted admin unless `principal`). */
const request = (tenantId: string, assetId: string, principal: string | null = testPrincipal(tenantId)) =>
  ({
    id: randomUUID(),
    type: 'meridian.geo-query.asset.get.v1',
    source: '/meridian/gateway',
    time: new Date().toISOString(),
    data: { assetId },
    correlationId: randomUUID(),
    tenantId,
    ...(principal === null ? {} : { principal }),
  }) satisfies Envelope<{ assetId: string }>;

/** The result of an `ok` query reply. */
function resultOf(body: ReplyBody): unknown {
  expect(body.type).toBe(QueryReplyV1.type);
  const reply = QueryReplyV1.schema.parse(body.data);
  if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
  return reply.result;
}

describe('GetAssetHandler (TypeORM repository on read.asset_latest, Nest module)', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let handler: GetAssetHandler;
  const ids = { fixed: randomUUID(), unfixed: randomUUID(), fixOnly: randomUUID() };

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(TestGeoQueryModule, { logger: false });
    pool = app.get<Pool>(READ_POOL);
    handler = app.get(GetAssetHandler);

    const assets = new AssetLatestWriter(pool);
    const positions = new PositionsWriter(pool);
    await assets.applyRegistration({
      assetId: ids.fixed,
      tenantId: tenants.owner,
      name: 'Heron 1',
      kind: 'drone',
      status: 'available',
      version: 2,
    });
    await positions.write([
      { tenantId: tenants.owner, assetId: ids.fixed, ts: `${today}T10:00:00Z`, lon: 9.5, lat: 49.25, speed: 12.5 },
      { tenantId: tenants.owner, assetId: ids.fixed, ts: `${today}T10:00:05.123Z`, lon: 9.75, lat: 49.5, heading: 90 },
    ]);
    await assets.applyRegistration({
      assetId: ids.unfixed,
      tenantId: tenants.owner,
      name: 'Van 7',
      kind: 'vehicle',
      status: 'registered',
      version: 1,
    });
    // A fix that overtook its registration: a row, but not yet an asset.
    await positions.write([
      { tenantId: tenants.owner, assetId: ids.fixOnly, ts: `${today}T09:00:00Z`, lon: 1, lat: 2 },
    ]);
    // Enough other rows that the planner's choice means something.
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom)
       SELECT gen_random_uuid(), $1, 'fleet #' || i, 'sensor', 'available', 1,
         ST_SetSRID(ST_MakePoint(5 + (i % 100) * 0.1, 45 + (i / 100) * 0.1), 4326)
       FROM generate_series(1, 3000) AS i`,
      [tenants.fleet],
    );
    await pool.query('ANALYZE read.asset_latest');
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await app?.close();
  });

  it("returns the tenant's asset as a GeoJSON Feature with a Point at its latest fix", async () => {
    const result = resultOf(await handler.get(request(tenants.owner, ids.fixed)));

    expect(result).toEqual({
      type: 'Feature',
      id: ids.fixed,
      geometry: { type: 'Point', coordinates: [9.75, 49.5] },
      properties: {
        name: 'Heron 1',
        kind: 'drone',
        status: 'available',
        lastSeen: `${today}T10:00:05.123Z`,
        speed: null,
        heading: 90,
        version: 2,
        sensitivity: 0,
        team: null,
      },
    });
    expect(AssetFeature.parse(result)).toEqual(result);
  });

  it('returns a registered asset without a fix with a null geometry', async () => {
    const result = resultOf(await handler.get(request(tenants.owner, ids.unfixed)));

    expect(result).toEqual({
      type: 'Feature',
      id: ids.unfixed,
      geometry: null,
      properties: {
        name: 'Van 7',
        kind: 'vehicle',
        status: 'registered',
        lastSeen: null,
        speed: null,
        heading: null,
        version: 1,
        sensitivity: 0,
        team: null,
      },
    });
  });

  it.each([
    ["another tenant's asset", () => request(tenants.other, ids.fixed)],
    ['a row whose registration has not arrived (a fix overtook it)', () => request(tenants.owner, ids.fixOnly)],
    ['an unknown id', () => request(tenants.owner, randomUUID())],
  ])('answers ASSET.NOT_FOUND (CodedError) for %s', async (_name, make) => {
    const asked = make();
    await expect(handler.get(asked)).rejects.toMatchObject({
      name: 'CodedError',
      code: AssetErrors.assetNotFound,
      message: `asset ${asked.data.assetId} not found`,
    });
  });

  it('refuses a request without a valid principal (AUTH.PRINCIPAL_UNKNOWN) or with one of another tenant', async () => {
    await expect(handler.get(request(tenants.owner, ids.fixed, null))).rejects.toMatchObject({
      code: AuthErrors.principalUnknown,
    });
    await expect(handler.get(request(tenants.owner, ids.fixed, '{"tenantId":'))).rejects.toMatchObject({
      code: AuthErrors.principalUnknown,
    });
    await expect(handler.get(request(tenants.owner, ids.fixed, testPrincipal(tenants.other)))).rejects.toMatchObject({
      code: AuthErrors.forbiddenTenant,
    });
  });

  // DESIGN §5: every query's plan uses an index; here the SQL TypeORM sends for the repository call.
  // A region over half the fleet: the id, not the region, is what finds the row. (For a region
  // holding a handful of rows the planner rightly starts from the GiST index on geom instead.)
  const regional = testPrincipal(tenants.owner, {
    roles: ['viewer'],
    region: {
      type: 'Polygon',
      coordinates: [
        [
          [5, 45],
          [15, 45],
          [5, 50],
          [5, 45],
        ],
      ],
    },
    clearance: 2,
    teams: ['red'],
  });
  it.each([
    ['the owner', tenants.owner, undefined],
    ['another tenant', tenants.other, undefined],
    ['a viewer restricted by region, clearance and team', tenants.owner, regional],
  ])('looks the asset up through an index on its id, asked by %s', async (_name, tenantId, principal) => {
    const sent = jest.spyOn(Client.prototype, 'query');
    let lookups: SentQuery[];
    try {
      await handler.get(request(tenantId, ids.fixed, principal)).catch(() => undefined);
      lookups = (sent.mock.calls as unknown as unknown[][])
        .filter(([text, values]) => typeof text === 'string' && text.includes('asset_latest') && Array.isArray(values))
        .map(sentQuery);
    } finally {
      sent.mockRestore();
    }
    expect(lookups).toHaveLength(1);

    const plan = (await explainPlan(pool, lookups[0])).map(describePlanNode);
    // An index scan keyed on the asset id: the primary key or (tenant_id, asset_id).
    const byId = /^Index (Only )?Scan using asset_latest_(pkey|tenant) on asset_latest$/;
    expect({ plan, byId: plan.filter((p) => byId.test(p)).length }).toEqual({ plan, byId: 1 });
    expect(plan.filter((p) => p.startsWith('Seq Scan'))).toEqual([]);
  });
});
