import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { cellToParent, latLngToCell } from 'h3-js';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError, type DataOf, type Envelope, fromWire, toWire } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import { GetTileV1, MVT_MEDIA_TYPE, TileReplyV1 } from '@meridian/contracts/tiles';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { READ_POOL, ReadModelModule } from '@meridian/read-model/data-source';
import { PositionsWriter } from '@meridian/read-model/positions';
import type { ReplyBody } from '@meridian/shared/messaging';
import { CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import { readMvt, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { GeoQueryTilesModule } from '../geo-query-tiles.module';
import { GetTileHandler } from './get-tile.handler';

const run = randomBytes(3).toString('hex');
const tenants = { owner: `gqt${run}-owner`, other: `gqt${run}-other` };
const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
const at = (minutes: number): string => new Date(hour.getTime() + minutes * 60_000).toISOString();
/** The H3 cell (hex) holding a point at `resolution`, as the hourly counts roll it up from resolution 5 or 7. */
const cellOf = (lon: number, lat: number, resolution: number): string =>
  cellToParent(latLngToCell(lat, lon, resolution <= 5 ? 5 : 7), resolution);

@Global()
@Module({
  providers: [
    { provide: CONFIG, useValue: { DATABASE_URL: testDatabaseUrl(), DATABASE_POOL_SIZE: 4, H3_RESOLUTIONS: [5, 7] } },
    { provide: SERVICE_NAME, useValue: 'geo-query-tiles-spec' },
    { provide: LOGGER, useValue: pino({ level: 'silent' }) },
  ],
  exports: [CONFIG, SERVICE_NAME, LOGGER],
})
class TestCoreModule {}

/**
 * geo-query's wiring of this feature, with a small cap so that a tile of a few fixes is cut, and
 * positions aggregated below zoom 9 (the fixes' zoom-8 tile is aggregated, their zoom-9 tiles not).
 */
const AGGREGATE_BELOW_ZOOM = 9;
@Module({
  imports: [
    TestCoreModule,
    ReadModelModule.forRoot({ migrate: true }),
    GeoQueryTilesModule.forRoot({ maxFeatures: 3, aggregateBelowZoom: AGGREGATE_BELOW_ZOOM }),
  ],
})
class TestGeoQueryModule {}

/** A request as the gateway sends it: the tenant and its principal (an unrestricted admin unless `principal`). */
const request = (
  tenantId: string,
  data: DataOf<typeof GetTileV1>,
  principal: string | null = testPrincipal(tenantId),
): Envelope<DataOf<typeof GetTileV1>> => ({
  id: randomUUID(),
  type: GetTileV1.type,
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  ...(principal === null ? {} : { principal }),
});

/** The tile of a reply, after the trip through the Kafka wire format the reply really takes. */
function tileOf(body: ReplyBody): Buffer {
  expect(body.type).toBe(TileReplyV1.type);
  expect(body.datacontenttype).toBe(MVT_MEDIA_TYPE);
  const wire = toWire(
    {
      id: randomUUID(),
      type: body.type,
      source: '/meridian/geo-query',
      time: new Date().toISOString(),
      data: body.data,
      correlationId: 'c',
      ...(body.datacontenttype ? { datacontenttype: body.datacontenttype } : {}),
    },
    null,
  );
  const back = fromWire(wire);
  expect(Buffer.isBuffer(back.data)).toBe(true);
  return back.data as Buffer;
}

describe('GetTileHandler (Nest module over the read model)', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let handler: GetTileHandler;
  const ids = { a: randomUUID(), b: randomUUID(), theirs: randomUUID() };

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(TestGeoQueryModule, { logger: false });
    pool = app.get<Pool>(READ_POOL);
    handler = app.get(GetTileHandler);
    const assets = new AssetLatestWriter(pool);
    for (const [assetId, tenantId, name] of [
      [ids.a, tenants.owner, 'Heron 1'],
      [ids.b, tenants.owner, 'Heron 2'],
      [ids.theirs, tenants.other, 'Theirs'],
    ] as const) {
      await assets.applyRegistration({ assetId, tenantId, name, kind: 'drone', status: 'available', version: 1 });
    }
    await new PositionsWriter(pool, [5, 7]).write([
      ...[0, 1, 2, 3, 4].map((m) => ({ tenantId: tenants.owner, assetId: ids.a, ts: at(m), lon: 9.5, lat: 47.5 })),
      { tenantId: tenants.owner, assetId: ids.b, ts: at(10), lon: 9.6, lat: 47.6, speed: 7.5 },
      { tenantId: tenants.other, assetId: ids.theirs, ts: at(10), lon: 9.6, lat: 47.6 },
    ]);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`gqt${run}-%`]);
    await pool?.query(`DELETE FROM read.position_cells WHERE tenant_id LIKE $1`, [`gqt${run}-%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`gqt${run}-%`]);
    await app?.close();
  });

  it("answers the tenant's assets tile as MVT bytes in a binary reply", async () => {
    const tile = readMvt(tileOf(await handler.get(request(tenants.owner, { layer: 'assets', z: 0, x: 0, y: 0 }))));
    expect(tile['assets'].features.map((f) => f.properties['name']).sort()).toEqual(['Heron 1', 'Heron 2']);
  });

  it('answers a positions tile of the window, cut at the configured cap (newest fixes kept), saying so', async () => {
    // Zoom 9 (the threshold) holds fixes: the tile of asset a's five fixes, cut at 3.
    const data = { layer: 'positions' as const, z: AGGREGATE_BELOW_ZOOM, x: 269, y: 179, from: at(0), to: at(60) };
    const tile = readMvt(tileOf(await handler.get(request(tenants.owner, data))));
    expect(tile['positions'].features.map((f) => [f.properties['asset_id'], f.properties['ts']])).toEqual([
      [ids.a, BigInt(Date.parse(at(4)))],
      [ids.a, BigInt(Date.parse(at(3)))],
      [ids.a, BigInt(Date.parse(at(2)))],
    ]);
    expect(tile['meta'].features[0].properties).toEqual({ layer: 'positions', truncated: true, limit: 3n });

    const narrow = { ...data, y: 178, from: at(10), to: at(11) };
    const one = readMvt(tileOf(await handler.get(request(tenants.owner, narrow))));
    expect(one['positions'].features.map((f) => f.properties)).toEqual([
      { asset_id: ids.b, ts: BigInt(Date.parse(at(10))), speed: 7.5 },
    ]);
    expect(one['meta']).toBeUndefined();
  });

  it.each([
    ['zoom 0', { z: 0, x: 0, y: 0 }, 1, { [cellOf(9.5, 47.5, 1)]: 6n }],
    [
      'zoom 8, below the threshold',
      { z: AGGREGATE_BELOW_ZOOM - 1, x: 134, y: 89 },
      7,
      { [cellOf(9.5, 47.5, 7)]: 5n, [cellOf(9.6, 47.6, 7)]: 1n },
    ],
  ])(
    'answers a positions tile at %s as fix counts per H3 cell, saying so in its meta layer',
    async (_, address, resolution, counts) => {
      const data = { layer: 'positions' as const, ...address, from: at(0), to: at(30) };
      const tile = readMvt(tileOf(await handler.get(request(tenants.owner, data))));
      const cells = Object.fromEntries(
        tile['positions'].features.map((f) => [f.properties['cell'], f.properties['count']]),
      );
      expect(cells).toEqual(counts);
      expect(tile['meta'].features.map((f) => f.properties)).toEqual([
        { layer: 'positions', aggregated: true, resolution: BigInt(resolution), from: at(0), to: at(60) },
      ]);
      // The other tenant's fix at the same place is theirs alone.
      const theirs = readMvt(tileOf(await handler.get(request(tenants.other, data))));
      expect(theirs['positions'].features.map((f) => f.properties)).toEqual([
        { cell: cellOf(9.6, 47.6, resolution), count: 1n },
      ]);
    },
  );

  it('answers an empty tile as an empty value', async () => {
    const body = await handler.get(request(tenants.owner, { layer: 'zones', z: 3, x: 1, y: 1 }));
    expect(tileOf(body).length).toBe(0);
  });

  it('refuses a request without a principal (AUTH.PRINCIPAL_UNKNOWN)', async () => {
    const refused = handler.get(request(tenants.owner, { layer: 'assets', z: 0, x: 0, y: 0 }, null));
    await expect(refused).rejects.toBeInstanceOf(CodedError);
    await expect(refused).rejects.toMatchObject({ code: AuthErrors.principalUnknown });
  });

  it('the contract refuses coordinates outside the grid and a positions tile without its window', () => {
    expect(GetTileV1.schema.safeParse({ layer: 'assets', z: 2, x: 4, y: 0 }).success).toBe(false);
    expect(GetTileV1.schema.safeParse({ layer: 'assets', z: 23, x: 0, y: 0 }).success).toBe(false);
    expect(GetTileV1.schema.safeParse({ layer: 'positions', z: 0, x: 0, y: 0 }).success).toBe(false);
    expect(GetTileV1.schema.safeParse({ layer: 'assets', z: 22, x: 2 ** 22 - 1, y: 0 }).success).toBe(true);
  });

  it('the contract refuses a reversed window, one over 7 days, or one outside years 0001–9999', () => {
    const positions = (from: string, to: string) =>
      GetTileV1.schema.safeParse({ layer: 'positions', z: 0, x: 0, y: 0, from, to }).success;
    expect(positions(at(0), at(60))).toBe(true);
    expect(positions(at(60), at(0))).toBe(false);
    expect(positions('2025-01-01T00:00:00Z', '2025-01-08T00:00:00.001Z')).toBe(false);
    expect(positions('0000-01-01T00:00:00Z', '0000-01-01T01:00:00Z')).toBe(false);
    expect(positions('9999-12-31T23:00:00Z', '9999-12-31T23:30:00-05:00')).toBe(false);
  });
});
