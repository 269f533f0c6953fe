import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXPORT_WINDOW_MAX_DAYS, ExportErrors, type ExportFilter, type ExportJob } from '@meridian/contracts/exports';
import type { Principal } from '@meridian/contracts/identity';
import type { ExportStorage } from '@meridian/shared/export-storage';
import { eventually } from '@meridian/shared/testing';
import { ExportSweeper } from './expire-exports/export-sweeper';
import {
  caller,
  codeOf,
  ensurePartitions,
  ExportsApp,
  openReadModel,
  parseCsv,
  tempDir,
  uniqueTenant,
} from './exports.test-bed';

/*
 * Export jobs end to end on the real database and Redis: the start/get/list handlers, the worker,
 * the files (each format parsed back), the filters (bbox, zone, assets, window), the principal's
 * row filter applied when the job runs, expiry, and the refusals.
 */

const START = new Date('2024-05-01T10:00:00Z');
const MINUTE = 60_000;
const FIXES = 20;
const at = (minutes: number): string => new Date(START.getTime() + minutes * MINUTE).toISOString();
const hour = { from: at(0), to: at(60) };

const tenant = uniqueTenant('exp');
const other = uniqueTenant('exo');
const admin = caller(tenant, { subject: 'analyst' });
const west: NonNullable<Principal['region']> = {
  type: 'Polygon',
  coordinates: [
    [
      [7.5, 46.5],
      [9, 46.5],
      [9, 47.5],
      [7.5, 47.5],
      [7.5, 46.5],
    ],
  ],
};
const regional = caller(tenant, { subject: 'regional', roles: ['viewer'], region: west });
const lowClearance = caller(tenant, { subject: 'cleared-1', roles: ['viewer'], clearance: 1 });
const stranger = caller(tenant, { subject: 'someone-else' });
const otherTenant = caller(other, { subject: 'analyst' });

/** Three assets in the west (lon 8), three in the east (lon 10); the third is sensitive (3). */
const assets = Array.from({ length: 6 }, (_, i) => ({
  id: randomUUID(),
  lon: i < 3 ? 8 + i * 0.05 : 10 + (i - 3) * 0.05,
  lat: 47,
  sensitivity: i === 2 ? 3 : 0,
}));
const westAssets = assets.slice(0, 3);
const eastAssets = assets.slice(3);
const zoneWest = randomUUID();
const zoneEast = randomUUID();
const zoneOfOther = randomUUID();
const missionWest = randomUUID();
const missionEast = randomUUID();
const missionLater = randomUUID();
const awkwardTitle = 'Sweep, "north" sector\nsecond line; tab\there';

/** Fix g of an asset: a minute apart, as seeded. */
const fixesOf = (a: { id: string; lon: number; lat: number }) =>
  Array.from({ length: FIXES }, (_, g) => ({
    assetId: a.id,
    ts: at(g),
    lon: a.lon + g * 0.001,
    lat: a.lat + g * 0.0005,
  }));
const key = (f: { assetId: string; ts: string }) => `${f.assetId}|${f.ts}`;
const keysOf = (list: readonly { assetId: string; ts: string }[]) => list.map(key).sort();

interface PositionFeature {
  geometry: { coordinates: [number, number] };
  properties: { assetId: string; ts: string; speed: number | null };
}

describe('export jobs (real PostgreSQL, Redis)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let exports: ExportsApp;
  let removeDir: () => Promise<void>;
  let dir: string;

  const square = (lon: number, lat: number, d: number) =>
    JSON.stringify({
      type: 'Polygon',
      coordinates: [
        [
          [lon - d, lat - d],
          [lon + d, lat - d],
          [lon + d, lat + d],
          [lon - d, lat + d],
          [lon - d, lat - d],
        ],
      ],
    });

  /** Starts an export and waits for it to finish. */
  async function run(who: ReturnType<typeof caller>, filter: ExportFilter): Promise<ExportJob> {
    const job = await exports.start(who, filter);
    return eventually(
      async () => {
        const now = await exports.get(who, job.id);
        expect(now.state).toMatch(/succeeded|failed/);
        return now;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  const positionsOf = async (who: ReturnType<typeof caller>, filter: Partial<ExportFilter> = {}) => {
    const job = await run(who, { kind: 'positions', format: 'ndjson', ...hour, ...filter });
    expect(job.state).toBe('succeeded');
    const features = (await exports.content(job))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as PositionFeature);
    return features.map((f) => ({ assetId: f.properties.assetId, ts: f.properties.ts }));
  };

  beforeAll(async () => {
    ({ dataSource, pool } = await openReadModel());
    const temp = await tempDir('exports');
    dir = temp.dir;
    removeDir = temp.remove;
    exports = await ExportsApp.open(pool, { dir: temp.dir, prefix: `exp-${tenant}` });
    await ensurePartitions(pool, START, 2);
    for (const a of assets) {
      await pool.query(
        `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, speed)
         SELECT $1, $2, $3::timestamptz + make_interval(mins => g),
                ST_SetSRID(ST_MakePoint($4 + g * 0.001, $5 + g * 0.0005), 4326), CASE WHEN g % 2 = 0 THEN g END
         FROM generate_series(0, $6 - 1) g`,
        [tenant, a.id, START.toISOString(), a.lon, a.lat, FIXES],
      );
      await pool.query(
        `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, sensitivity)
         VALUES ($1, $2, $3, 'vehicle', 'available', $4)`,
        [a.id, tenant, `asset ${a.id.slice(0, 4)}`, a.sensitivity],
      );
    }
    // Someone else's fixes in the same place and time: never exported.
    await pool.query(
      `INSERT INTO read.positions (tenant_id, asset_id, ts, geom)
       VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint(8, 47), 4326))`,
      [other, randomUUID(), at(5)],
    );
    for (const [id, owner, lon, name] of [
      [zoneWest, tenant, 8.05, 'West, "gate"'],
      [zoneEast, tenant, 10.05, 'East'],
      [zoneOfOther, other, 8.05, 'Theirs'],
    ] as const) {
      await pool.query(
        `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, version, created_at, updated_at)
         VALUES ($1, $2, $3, 'area', ST_SetSRID(ST_GeomFromGeoJSON($4), 4326), 0, 1, now(), now())`,
        [id, owner, name, square(lon, 47, 0.2)],
      );
    }
    const visit = (zone: string, asset: string, entered: string, exited: string | null) =>
      pool.query(
        `INSERT INTO read.zone_visits (tenant_id, zone_id, asset_id, entered_at, exited_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [tenant, zone, asset, entered, exited],
      );
    await visit(zoneWest, westAssets[0].id, at(0), at(10));
    await visit(zoneWest, westAssets[1].id, at(5), null);
    await visit(zoneEast, eastAssets[0].id, at(0), at(30));
    await visit(zoneWest, westAssets[0].id, '2024-04-30T08:00:00Z', '2024-04-30T09:00:00Z');
    const mission = (id: string, title: string, lon: number, from: string, to: string, assetIds: string[]) =>
      pool.query(
        `INSERT INTO read.missions (id, tenant_id, title, state, done, version, definition_key, definition_version,
           priority, area, "window", deadline, asset_ids, transitions, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'planned', false, 1, 'patrol', 1, 2, ST_SetSRID(ST_GeomFromGeoJSON($4), 4326),
           tstzrange($5, $6, '[)'), $6, $7, '[]'::jsonb, 'analyst', now(), now())`,
        [id, tenant, title, square(lon, 47, 0.1), from, to, assetIds],
      );
    await mission(missionWest, awkwardTitle, 8.05, at(0), at(120), [westAssets[0].id]);
    await mission(missionEast, 'East watch', 10.05, at(0), at(60), [eastAssets[0].id]);
    await mission(missionLater, 'Tomorrow', 8.05, '2024-05-02T10:00:00Z', '2024-05-02T11:00:00Z', []);
  });

  afterAll(async () => {
    await exports?.close();
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id = ANY($1)`, [[tenant, other]]);
    await pool?.query(`DELETE FROM exports.jobs WHERE tenant_id = ANY($1)`, [[tenant, other]]);
    await dataSource?.destroy();
    await removeDir?.();
  });

  describe('formats', () => {
    const all = assets.flatMap(fixesOf);

    it('writes CSV with a header, one row per fix, coordinates and times as stored', async () => {
      const job = await run(admin, { kind: 'positions', format: 'csv', ...hour });
      expect(job).toMatchObject({
        state: 'succeeded',
        rowsWritten: all.length,
        rowsExpected: all.length,
        percent: 100,
      });
      expect(job.file).toMatchObject({
        key: `${tenant}/${job.id}.csv.gz`,
        name: `meridian-positions-${job.id}.csv`,
        contentType: 'text/csv; charset=utf-8',
      });
      const [header, ...rows] = parseCsv(await exports.content(job));
      expect(header).toEqual(['asset_id', 'ts', 'lon', 'lat', 'alt', 'speed', 'heading', 'accuracy']);
      expect(keysOf(rows.map(([assetId, ts]) => ({ assetId, ts })))).toEqual(keysOf(all));
      const byKey = new Map(all.map((f) => [key(f), f]));
      for (const [assetId, ts, lon, lat] of rows) {
        const fix = byKey.get(key({ assetId, ts }));
        expect(Number(lon)).toBeCloseTo(fix?.lon ?? NaN, 9);
        expect(Number(lat)).toBeCloseTo(fix?.lat ?? NaN, 9);
      }
      const stored = await exports.storage.get(job.file?.key ?? '');
      expect(stored?.bytes).toBe(job.file?.bytes);
    });

    it('writes NDJSON, one Feature per line, and a GeoJSON FeatureCollection, with the same fixes', async () => {
      expect(keysOf(await positionsOf(admin))).toEqual(keysOf(all));
      const job = await run(admin, { kind: 'positions', format: 'geojson', ...hour });
      expect(job.file?.contentType).toBe('application/geo+json');
      const collection = JSON.parse(await exports.content(job)) as { type: string; features: PositionFeature[] };
      expect(collection.type).toBe('FeatureCollection');
      expect(keysOf(collection.features.map((f) => f.properties))).toEqual(keysOf(all));
      const even = collection.features.find((f) => f.properties.ts === at(4));
      expect(even?.properties.speed).toBe(4);
    });

    it('writes an empty window as a valid empty file', async () => {
      const window = { from: '2023-01-01T00:00:00Z', to: '2023-01-02T00:00:00Z' };
      const csv = await run(admin, { kind: 'positions', format: 'csv', ...window });
      expect(csv).toMatchObject({ state: 'succeeded', rowsWritten: 0, rowsExpected: 0, percent: 100 });
      expect(parseCsv(await exports.content(csv))).toHaveLength(1);
      const geojson = await run(admin, { kind: 'missions', format: 'geojson', ...window });
      expect(JSON.parse(await exports.content(geojson))).toEqual({ type: 'FeatureCollection', features: [] });
    });
  });

  describe('filters', () => {
    it('keeps the fixes in the bbox, in the zone, of the assets, in the window', async () => {
      expect(keysOf(await positionsOf(admin, { bbox: [7.9, 46.9, 8.2, 47.2] }))).toEqual(
        keysOf(westAssets.flatMap(fixesOf)),
      );
      expect(keysOf(await positionsOf(admin, { zoneId: zoneEast }))).toEqual(keysOf(eastAssets.flatMap(fixesOf)));
      const two = [assets[0], assets[4]];
      expect(keysOf(await positionsOf(admin, { assetIds: two.map((a) => a.id) }))).toEqual(
        keysOf(two.flatMap(fixesOf)),
      );
      const tenMinutes = assets.flatMap(fixesOf).filter((f) => f.ts >= at(5) && f.ts < at(15));
      expect(keysOf(await positionsOf(admin, { from: at(5), to: at(15) }))).toEqual(keysOf(tenMinutes));
    });

    it('exports the stays overlapping the window, of a zone, in a bbox, of assets (CSV)', async () => {
      const stays = async (filter: Partial<ExportFilter>) => {
        const job = await run(admin, { kind: 'visits', format: 'csv', ...hour, ...filter });
        const [header, ...rows] = parseCsv(await exports.content(job));
        expect(header).toEqual(['zone_id', 'zone_name', 'asset_id', 'entered_at', 'exited_at']);
        return rows.map(([zone, name, asset, entered, exited]) => `${zone}|${name}|${asset}|${entered}|${exited}`);
      };
      const w0 = `${zoneWest}|West, "gate"|${westAssets[0].id}|${at(0)}|${at(10)}`;
      const w1 = `${zoneWest}|West, "gate"|${westAssets[1].id}|${at(5)}|`;
      const e0 = `${zoneEast}|East|${eastAssets[0].id}|${at(0)}|${at(30)}`;
      expect((await stays({})).sort()).toEqual([w0, e0, w1].sort());
      expect(await stays({ zoneId: zoneWest })).toEqual([w0, w1]);
      expect(await stays({ bbox: [9.9, 46.9, 10.2, 47.1] })).toEqual([e0]);
      expect(await stays({ assetIds: [westAssets[1].id] })).toEqual([w1]);
    });

    it('exports the missions whose window overlaps, with awkward titles intact (CSV and NDJSON)', async () => {
      const csv = await run(admin, { kind: 'missions', format: 'csv', ...hour });
      const [header, ...rows] = parseCsv(await exports.content(csv));
      expect(header.slice(0, 3)).toEqual(['id', 'title', 'state']);
      expect(rows.map((r) => [r[0], r[1]]).sort()).toEqual(
        [
          [missionWest, awkwardTitle],
          [missionEast, 'East watch'],
        ].sort(),
      );
      const ndjson = await run(admin, { kind: 'missions', format: 'ndjson', ...hour, zoneId: zoneWest });
      const lines = (await exports.content(ndjson)).split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      const feature = JSON.parse(lines[0]) as {
        id: string;
        geometry: { type: string };
        properties: Record<string, unknown>;
      };
      expect(feature).toMatchObject({ id: missionWest, geometry: { type: 'Polygon' } });
      expect(feature.properties).toMatchObject({ title: awkwardTitle, assetIds: [westAssets[0].id], priority: 2 });
      const ofAsset = await run(admin, { kind: 'missions', format: 'csv', ...hour, assetIds: [eastAssets[0].id] });
      expect(parseCsv(await exports.content(ofAsset)).map((r) => r[0])).toEqual(['id', missionEast]);
    });
  });

  describe("the principal's row filter", () => {
    it('exports only the fixes inside the region of a region-restricted principal', async () => {
      const everything = await positionsOf(admin);
      const inside = await positionsOf(regional);
      const expected = assets
        .flatMap(fixesOf)
        .filter((f) => f.lon >= 7.5 && f.lon <= 9 && f.lat >= 46.5 && f.lat <= 47.5);
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.length).toBeLessThan(everything.length);
      expect(keysOf(inside)).toEqual(keysOf(expected));
      // The same filter for both: the restricted export is the unrestricted one's part in the region.
      const everythingKeys = new Set(everything.map(key));
      expect(inside.every((f) => everythingKeys.has(key(f)))).toBe(true);
    });

    it('leaves out the assets the principal may not see (clearance), and hidden zones and missions', async () => {
      const seen = await positionsOf(lowClearance);
      expect(keysOf(seen)).toEqual(keysOf(assets.filter((a) => a.sensitivity <= 1).flatMap(fixesOf)));
      const visits = await run(regional, { kind: 'visits', format: 'ndjson', ...hour });
      const zones = (await exports.content(visits))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { properties: { zoneId: string } }).properties.zoneId);
      expect(new Set(zones)).toEqual(new Set([zoneWest]));
      const missions = await run(regional, { kind: 'missions', format: 'csv', ...hour });
      expect(parseCsv(await exports.content(missions)).map((r) => r[0])).toEqual(['id', missionWest]);
    });

    it('applies the principal as it was when the job was started', async () => {
      const job = await run(regional, { kind: 'positions', format: 'csv', ...hour });
      const { rows } = await pool.query<{ principal: Principal }>(`SELECT principal FROM exports.jobs WHERE id = $1`, [
        job.id,
      ]);
      expect(rows[0].principal).toMatchObject({ subject: 'regional', region: west, roles: ['viewer'] });
    });
  });

  describe('jobs of a principal', () => {
    it('answers the same job for the same export id, and lists newest first with keyset pages', async () => {
      const who = caller(tenant, { subject: `lister-${randomUUID()}` });
      const filter: ExportFilter = { kind: 'missions', format: 'csv', ...hour };
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await run(who, filter)).id);
      const again = await exports.start(who, filter, ids[0]);
      expect(again.id).toBe(ids[0]);
      expect(again.state).toBe('succeeded');
      const { rows } = await pool.query(`SELECT 1 FROM exports.jobs WHERE subject = $1`, [
        JSON.parse(who.header).subject as string,
      ]);
      expect(rows).toHaveLength(3);
      const first = await exports.list(who, 2);
      expect(first.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
      expect(first.after).toBe(ids[1]);
      const second = await exports.list(who, 2, first.after ?? undefined);
      expect(second.items.map((j) => j.id)).toEqual([ids[0]]);
      expect(second.after).toBeNull();
      expect(second.items[0]).toMatchObject({ requestedBy: JSON.parse(who.header).subject, state: 'succeeded' });
    });

    it("answers EXPORT.NOT_FOUND for another principal's job, in the tenant or another", async () => {
      const job = await run(admin, { kind: 'missions', format: 'csv', ...hour });
      expect(await codeOf(exports.get(stranger, job.id))).toBe(ExportErrors.exportNotFound);
      expect(await codeOf(exports.get(otherTenant, job.id))).toBe(ExportErrors.exportNotFound);
      expect(await codeOf(exports.get(admin, randomUUID()))).toBe(ExportErrors.exportNotFound);
      // Taking another's export id is refused the same way, and shows nothing of it.
      expect(await codeOf(exports.start(stranger, { kind: 'missions', format: 'csv', ...hour }, job.id))).toBe(
        ExportErrors.exportNotFound,
      );
      expect((await exports.list(stranger, 10)).items.map((j) => j.id)).not.toContain(job.id);
    });
  });

  describe('refusals', () => {
    const base: ExportFilter = { kind: 'positions', format: 'csv', ...hour };

    it('refuses an empty, reversed or too long window, a bbox with a zone, an unknown or hidden zone', async () => {
      const invalid = ExportErrors.exportFilterInvalid;
      expect(await codeOf(exports.start(admin, { ...base, to: base.from }))).toBe(invalid);
      expect(await codeOf(exports.start(admin, { ...base, from: hour.to, to: hour.from }))).toBe(invalid);
      const tooLong = new Date(START.getTime() + (EXPORT_WINDOW_MAX_DAYS * 24 + 1) * 60 * MINUTE).toISOString();
      expect(await codeOf(exports.start(admin, { ...base, to: tooLong }))).toBe(invalid);
      const justRight = new Date(START.getTime() + EXPORT_WINDOW_MAX_DAYS * 24 * 60 * MINUTE).toISOString();
      expect(await codeOf(exports.start(admin, { ...base, kind: 'missions', to: justRight }))).toBe('ok');
      expect(await codeOf(exports.start(admin, { ...base, bbox: [7, 46, 9, 48], zoneId: zoneWest }))).toBe(invalid);
      expect(await codeOf(exports.start(admin, { ...base, zoneId: randomUUID() }))).toBe(invalid);
      expect(await codeOf(exports.start(admin, { ...base, zoneId: zoneOfOther }))).toBe(invalid);
      // The east zone lies outside the regional principal's region: not visible, not exportable.
      expect(await codeOf(exports.start(regional, { ...base, zoneId: zoneEast }))).toBe(invalid);
      expect(await codeOf(exports.start(regional, { ...base, zoneId: zoneWest }))).toBe('ok');
    });

    it('refuses a start beyond the unfinished exports a principal may have', async () => {
      const busy = caller(tenant, { subject: `busy-${randomUUID()}` });
      const subject = (JSON.parse(busy.header) as Principal).subject;
      // Five unfinished jobs that stay so: running on another worker's lease.
      for (let i = 0; i < 5; i++) {
        await pool.query(
          `INSERT INTO exports.jobs (id, tenant_id, subject, principal, filter, state, lease_owner, lease_until)
           VALUES ($1, $2, $3, '{}'::jsonb, $4::jsonb, 'running', 'elsewhere', now() + interval '1 hour')`,
          [randomUUID(), tenant, subject, JSON.stringify(base)],
        );
      }
      expect(await codeOf(exports.start(busy, base))).toBe(ExportErrors.exportLimitReached);
      await pool.query(`UPDATE exports.jobs SET state = 'failed', lease_owner = NULL WHERE subject = $1`, [subject]);
      expect(await codeOf(exports.start(busy, { ...base, kind: 'missions' }))).toBe('ok');
    });
  });

  describe('expiry', () => {
    it('deletes the file of an expired job and marks it expired; get answers expired without a file', async () => {
      const job = await run(admin, { kind: 'missions', format: 'geojson', ...hour });
      const fileKey = job.file?.key ?? '';
      expect(await exports.storage.get(fileKey)).toBeDefined();
      const kept = await run(admin, { kind: 'missions', format: 'csv', ...hour });
      await pool.query(`UPDATE exports.jobs SET expires_at = now() - interval '1 second' WHERE id = $1`, [job.id]);
      // Past its expiry it reads as expired at once, before any sweep.
      expect(await exports.get(admin, job.id)).toMatchObject({ state: 'expired', file: null });
      const swept = await exports.sweeper.sweep();
      expect(swept.expired).toBeGreaterThanOrEqual(1);
      expect(await exports.storage.get(fileKey)).toBeUndefined();
      expect(await exports.get(admin, job.id)).toMatchObject({ state: 'expired', file: null });
      const { rows } = await pool.query<{ state: string }>(`SELECT state FROM exports.jobs WHERE id = $1`, [job.id]);
      expect(rows[0].state).toBe('expired');
      // A job not yet expired keeps its file.
      expect(await exports.storage.get(kept.file?.key ?? '')).toBeDefined();
      expect((await exports.get(admin, kept.id)).state).toBe('succeeded');
    });

    it('expires the other jobs when one file cannot be deleted, and that one on a later sweep', async () => {
      const stuck = await run(admin, { kind: 'missions', format: 'csv', ...hour });
      const freed = await run(admin, { kind: 'missions', format: 'ndjson', ...hour });
      await pool.query(`UPDATE exports.jobs SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [
        [stuck.id, freed.id],
      ]);
      const stuckKey = stuck.file?.key ?? '';
      const refusing: ExportStorage = {
        put: (k, body) => exports.storage.put(k, body),
        get: (k) => exports.storage.get(k),
        keys: () => exports.storage.keys(),
        delete: async (k) => {
          if (k === stuckKey) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
          await exports.storage.delete(k);
        },
      };

      const swept = await new ExportSweeper(exports.jobs, refusing, { sweepMs: 3_600_000 }).sweep();

      expect(swept.failed).toBe(1);
      expect(await exports.storage.get(freed.file?.key ?? '')).toBeUndefined();
      expect((await pool.query(`SELECT state FROM exports.jobs WHERE id = $1`, [freed.id])).rows[0]).toEqual({
        state: 'expired',
      });
      expect((await pool.query(`SELECT state FROM exports.jobs WHERE id = $1`, [stuck.id])).rows[0]).toEqual({
        state: 'succeeded',
      });
      expect(await exports.storage.get(stuckKey)).toBeDefined();
      await exports.sweeper.sweep();
      expect(await exports.storage.get(stuckKey)).toBeUndefined();
      expect((await pool.query(`SELECT state FROM exports.jobs WHERE id = $1`, [stuck.id])).rows[0]).toEqual({
        state: 'expired',
      });
    });

    it("deletes a crashed writer's partial file once it is old enough, and not a live one's", async () => {
      const crashed = join(dir, tenant, `${randomUUID()}.csv.gz.4242.1700000000000.partial`);
      const live = join(dir, tenant, `${randomUUID()}.csv.gz.4243.1700000000001.partial`);
      await mkdir(join(dir, tenant), { recursive: true });
      await writeFile(crashed, 'half');
      await writeFile(live, 'half');
      const twoHoursAgo = new Date(Date.now() - 7_200_000);
      await utimes(crashed, twoHoursAgo, twoHoursAgo);

      const swept = await exports.sweeper.sweep();

      expect(swept.partialsDeleted).toBe(1);
      const left = await readdir(join(dir, tenant));
      expect(left).not.toContain(basename(crashed));
      expect(left).toContain(basename(live));
      await rm(live);
    });

    it('deletes files no job accounts for once they are old enough, and no others', async () => {
      const orphanKey = `${tenant}/${randomUUID()}.csv.gz`;
      await exports.storage.put(orphanKey, Readable.from([gzipSync('orphan\n')]));
      const kept = await run(admin, { kind: 'missions', format: 'csv', ...hour });
      const strict = new ExportSweeper(exports.jobs, exports.storage, { sweepMs: 3_600_000, orphanAfterMs: 0 });
      const patient = new ExportSweeper(exports.jobs, exports.storage, { sweepMs: 3_600_000 });
      expect((await patient.sweep()).orphansDeleted).toBe(0);
      expect(await exports.storage.get(orphanKey)).toBeDefined();
      await strict.sweep();
      expect(await exports.storage.get(orphanKey)).toBeUndefined();
      expect(await exports.storage.get(kept.file?.key ?? '')).toBeDefined();
    });
  });
});
