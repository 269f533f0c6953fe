import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Bbox, type Envelope, ErrorCodes, parseData, QueryReplyV1 } from '@meridian/contracts/core';
import type { Principal } from '@meridian/contracts/identity';
import { ListZonesV1, type ZoneKind, zoneKinds, ZonePage } from '@meridian/contracts/zones';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { ZoneQueries } from '@meridian/read-model/zones';
import { testDatabaseUrl, testPrincipal } from '@meridian/shared/testing';
import { ListZonesHandler } from './list-zones.handler';

/* ListZonesV1's optional `kind`: the live zones of that kind only, with the bbox and the row filter. */

const run = randomBytes(3).toString('hex');
const tenant = `gqk${run}`;
const other = `gqk${run}-other`;

interface Zone {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: ZoneKind;
  readonly lon: number;
  readonly lat: number;
  readonly archived: boolean;
}

const westHalf: NonNullable<Principal['region']> = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [9, 47],
      [9, 49],
      [8, 49],
      [8, 47],
    ],
  ],
};

const request = <T>(tenantId: string, data: T, overrides: Partial<Principal> = {}): Envelope<T> => ({
  id: randomUUID(),
  type: ListZonesV1.type,
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  principal: testPrincipal(tenantId, overrides),
});

describe('list zones by kind (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let handler: ListZonesHandler;
  const zones: Zone[] = [];

  /** Every page, `limit` at a time. */
  async function listAll(
    data: { kind?: ZoneKind; bbox?: Bbox },
    overrides: Partial<Principal> = {},
    tenantId = tenant,
  ): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    for (let n = 0; n < 100; n++) {
      const body = await handler.list(request(tenantId, { ...data, limit: 3, after }, overrides));
      const reply = QueryReplyV1.schema.parse(body.data);
      if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
      const page = ZonePage.parse(reply.result);
      ids.push(...page.items.map((z) => z.id));
      if (page.after === null) return ids;
      after = page.after;
    }
    throw new Error('paging does not end');
  }

  const expected = (pick: (z: Zone) => boolean, tenantId = tenant): string[] =>
    zones
      .filter((z) => z.tenantId === tenantId && !z.archived && pick(z))
      .map((z) => z.id)
      .sort();

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 2 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    handler = new ListZonesHandler(new ZoneQueries(pool));
    for (let i = 0; i < 48; i++) {
      zones.push({
        id: randomUUID(),
        tenantId: i < 40 ? tenant : other,
        kind: zoneKinds[i % zoneKinds.length],
        lon: 8 + (i % 8) * 0.25,
        lat: 47 + Math.floor(i / 8) * 0.25,
        archived: i % 7 === 6,
      });
    }
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, version, created_at, updated_at,
         archived_at)
       SELECT z, t, 'zone', k, ST_MakeEnvelope(x, y, x + 0.1, y + 0.1, 4326), 0, 1, now(), now(),
         CASE WHEN arch THEN now() END
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::bool[])
         AS r(z, t, k, x, y, arch)`,
      [
        zones.map((z) => z.id),
        zones.map((z) => z.tenantId),
        zones.map((z) => z.kind),
        zones.map((z) => z.lon),
        zones.map((z) => z.lat),
        zones.map((z) => z.archived),
      ],
    );
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.zones WHERE tenant_id LIKE $1`, [`gqk${run}%`]);
    await dataSource?.destroy();
  });

  it('lists only the live zones of the kind asked for; every kind without one', async () => {
    for (const kind of zoneKinds) {
      const ids = await listAll({ kind });
      expect(ids.length).toBeGreaterThan(3);
      expect(ids).toEqual(expected((z) => z.kind === kind));
    }
    expect(await listAll({})).toEqual(expected(() => true));
    expect(new Set(zones.filter((z) => z.tenantId === tenant && !z.archived).map((z) => z.kind)).size).toBe(4);
  });

  it('combines the kind with the bbox, the row filter and the tenant', async () => {
    const bbox: Bbox = [8.3, 47.3, 9.2, 48.2];
    const touches = (z: Zone): boolean => z.lon <= bbox[2] && z.lon + 0.1 >= bbox[0] && z.lat <= bbox[3];
    const inBox = expected((z) => z.kind === 'mission_area' && touches(z) && z.lat + 0.1 >= bbox[1]);
    expect(inBox.length).toBeGreaterThan(0);
    expect(await listAll({ kind: 'mission_area', bbox })).toEqual(inBox);

    const regional = { roles: ['viewer' as const], region: westHalf };
    const west = expected((z) => z.kind === 'restricted' && z.lon <= 9);
    expect(west.length).toBeGreaterThan(0);
    expect(west.length).toBeLessThan(expected((z) => z.kind === 'restricted').length);
    expect(await listAll({ kind: 'restricted' }, regional)).toEqual(west);

    expect(await listAll({ kind: 'geofence' }, {}, other)).toEqual(expected((z) => z.kind === 'geofence', other));
  });

  it("refuses an unknown kind by the route's contract (CONTRACT.VIOLATION)", () => {
    const bad = request(tenant, { kind: 'volcano', limit: 10 });
    expect(() => parseData(ListZonesV1, bad)).toThrow(expect.objectContaining({ code: ErrorCodes.contractViolation }));
  });
});
