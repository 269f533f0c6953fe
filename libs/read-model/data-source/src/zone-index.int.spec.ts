import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ZoneGeometry } from '@meridian/contracts/zones';
import { ZoneIndex } from '@meridian/read-model/zones';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * The in-memory zone index (rbush + turf) against PostGIS: for random zones — squares, polygons
 * with a hole, multipolygons, windows of validity — and random points, including points on
 * boundaries and vertices, ZoneIndex names exactly the zones ST_Intersects does.
 */

const run = randomBytes(3).toString('hex');
const tenant = `zi${run}`;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ring = (x: number, y: number, w: number, h: number): number[][] => [
  [x, y],
  [x + w, y],
  [x + w, y + h],
  [x, y + h],
  [x, y],
];

describe('ZoneIndex answers as ST_Intersects (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 2 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
  });

  afterAll(async () => {
    await pool?.query('DELETE FROM read.zones WHERE tenant_id = $1', [tenant]);
    await dataSource?.destroy();
  });

  it('names the same zones for 3,000 points, boundaries and validity windows included', async () => {
    const random = prng(42);
    const corners: [number, number][] = [];
    const base = Date.parse('2026-11-30T00:00:00Z');
    for (let i = 0; i < 60; i++) {
      const [x, y] = [8 + random(), 47 + random()];
      const [w, h] = [0.02 + random() * 0.1, 0.02 + random() * 0.1];
      corners.push([x, y], [x + w / 2, y]);
      const kind = i % 3;
      const geometry: ZoneGeometry =
        kind === 0
          ? { type: 'Polygon', coordinates: [ring(x, y, w, h)] }
          : kind === 1
            ? { type: 'Polygon', coordinates: [ring(x, y, w, h), ring(x + w / 4, y + h / 4, w / 2, h / 2).reverse()] }
            : {
                type: 'MultiPolygon',
                coordinates: [[ring(x, y, w / 3, h)], [ring(x + (2 * w) / 3, y, w / 3, h)]],
              };
      const validFrom = i % 5 === 0 ? new Date(base + 3_600_000).toISOString() : null;
      const validTo = i % 7 === 0 ? new Date(base + 7_200_000).toISOString() : null;
      await pool.query(
        `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, valid_from, valid_to, sensitivity, version,
                                 created_at, updated_at, archived_at)
         VALUES ($1, $2, 'z', 'geofence', ST_SetSRID(ST_GeomFromGeoJSON($3), 4326), $4, $5, 0, 1, now(), now(), $6)`,
        [randomUUID(), tenant, JSON.stringify(geometry), validFrom, validTo, i % 11 === 0 ? new Date() : null],
      );
    }
    const points = Array.from({ length: 3000 }, (_, i) => {
      const [lon, lat] = i < corners.length ? corners[i] : [8 + random() * 1.1, 47 + random() * 1.1];
      const ts = new Date(base + Math.floor(random() * 3) * 3_600_000 + (i % 2) * 1000).toISOString();
      return { tenantId: tenant, ts, lon, lat };
    });
    const client = await pool.connect();
    try {
      const fromIndex = await new ZoneIndex().containing(client, points);
      const { rows } = await client.query<{ i: number; zone_id: string }>(
        `SELECT f.i::int AS i, z.zone_id
         FROM unnest($1::timestamptz[], $2::float8[], $3::float8[]) WITH ORDINALITY AS f(ts, lon, lat, i)
         JOIN read.zones z ON z.tenant_id = $4 AND z.archived_at IS NULL
           AND (z.valid_from IS NULL OR z.valid_from <= f.ts) AND (z.valid_to IS NULL OR f.ts < z.valid_to)
           AND ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326))`,
        [points.map((p) => p.ts), points.map((p) => p.lon), points.map((p) => p.lat), tenant],
      );
      const fromSql: string[][] = points.map(() => []);
      for (const r of rows) fromSql[r.i - 1].push(r.zone_id);
      expect(fromIndex).toEqual(fromSql.map((ids) => ids.sort()));
      expect(rows.length).toBeGreaterThan(100);
    } finally {
      client.release();
    }
  });
});
