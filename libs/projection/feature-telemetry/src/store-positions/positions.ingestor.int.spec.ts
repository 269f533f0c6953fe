import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import type { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError, type Envelope, ErrorCodes, parseData, Topics } from '@meridian/contracts/core';
import { type Fix, PositionBatchReportedV1, PositionReportedV1 } from '@meridian/contracts/telemetry';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { READ_POOL, ReadModelModule } from '@meridian/read-model/data-source';
import { CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { ProjectionTelemetryModule } from '../projection-telemetry.module';
import { PositionsIngestor, toPositionRow, toPositionRows } from './positions.ingestor';

// Tenant ids are unique per test and per run; asset ids are random uuids.
const run = randomBytes(3).toString('hex');
const tenant = (name: string): string => `pi${run}-${name}`;
/** Fixes are of today and the next two UTC days: partitions the service keeps ready anyway. */
const DAY_MS = 86_400_000;
const dayFromToday = (n: number): string => new Date(Date.now() + n * DAY_MS).toISOString().slice(0, 10);
const [d0, d1, d2] = [dayFromToday(0), dayFromToday(1), dayFromToday(2)];

/** What CoreModule gives a service, as much as the read-model module needs. */
@Global()
@Module({
  providers: [
    { provide: CONFIG, useValue: { DATABASE_URL: testDatabaseUrl(), DATABASE_POOL_SIZE: 4 } },
    { provide: SERVICE_NAME, useValue: 'projection-spec' },
    { provide: LOGGER, useValue: pino({ level: 'silent' }) },
  ],
  exports: [CONFIG, SERVICE_NAME, LOGGER],
})
class TestCoreModule {}

/** The projection service's wiring of this feature. */
@Module({
  imports: [
    TestCoreModule,
    ReadModelModule.forRoot({ migrate: true }),
    ProjectionTelemetryModule.forRoot({ aheadDays: 2, behindDays: 0, intervalMs: 3_600_000, cellResolutions: [5, 7] }),
  ],
})
class TestProjectionModule {}

type PositionMessage = Envelope<Fix>;

const message = (tenantId: string | undefined, fix: Fix): PositionMessage => ({
  id: randomUUID(),
  type: PositionReportedV1.type,
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data: fix,
  correlationId: randomUUID(),
  ...(tenantId ? { tenantId } : {}),
});

const messages = (tenantId: string, fixes: readonly Fix[]): PositionMessage[] => fixes.map((f) => message(tenantId, f));

interface LatestRow {
  tenant_id: string;
  name: string | null;
  lon: number | null;
  lat: number | null;
  ts: string | null;
  speed: number | null;
  updated_at: string;
}

describe('PositionsIngestor into read.positions and read.asset_latest (real PostGIS, Nest module)', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let ingestor: PositionsIngestor;
  let assets: AssetLatestWriter;

  const latest = async (assetId: string): Promise<LatestRow | undefined> =>
    (
      await pool.query<LatestRow>(
        `SELECT tenant_id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, speed, updated_at::text
         FROM read.asset_latest WHERE asset_id = $1`,
        [assetId],
      )
    ).rows[0];

  const stored = async (assetId: string): Promise<{ ts: string; lon: number; lat: number; part: string }[]> =>
    (
      await pool.query<{ ts: string; lon: number; lat: number; part: string }>(
        `SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, ST_X(geom) AS lon,
           ST_Y(geom) AS lat, tableoid::regclass::text AS part
         FROM read.positions WHERE asset_id = $1 ORDER BY ts`,
        [assetId],
      )
    ).rows;

  const register = (assetId: string, tenantId: string, name: string): Promise<boolean> =>
    assets.applyRegistration({ assetId, tenantId, name, kind: 'drone', status: 'registered', version: 1 });

  const part = (day: string): string => `read.positions_${day.replace(/-/g, '')}`;

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(TestProjectionModule, { logger: false });
    pool = app.get<Pool>(READ_POOL);
    ingestor = app.get(PositionsIngestor);
    assets = new AssetLatestWriter(pool);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`pi${run}-%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`pi${run}-%`]);
    await app?.close();
  });

  describe('route and message', () => {
    const valid: Fix = { assetId: randomUUID(), ts: '2025-03-01T10:00:00Z', lon: 10, lat: 50, battery: 80 };

    it('declares a batch route for position fixes on the telemetry topic', () => {
      const handler = PositionsIngestor.prototype.store;
      expect(Reflect.getMetadata(PATTERN_METADATA, handler)).toEqual([PositionReportedV1.type]);
      expect(Reflect.getMetadata(PATTERN_EXTRAS_METADATA, handler)).toEqual({
        topic: Topics.telemetryPositions,
        contract: PositionReportedV1,
        batch: true,
      });
    });

    it.each([
      ['longitude', { lon: 180.0001 }],
      ['longitude', { lon: -181 }],
      ['latitude', { lat: 90.5 }],
      ['latitude', { lat: -91 }],
    ])("rejects an out-of-range %s (%o) by the route's contract, CONTRACT.VIOLATION", (_axis, patch) => {
      expect(parseData(PositionReportedV1, message('acme', valid))).toEqual(valid);
      expect(() => parseData(PositionReportedV1, message('acme', { ...valid, ...patch }))).toThrow(
        expect.objectContaining({ name: 'CodedError', code: ErrorCodes.contractViolation }),
      );
    });

    it('turns a telemetry message into a row of the tenant in its header', () => {
      expect(toPositionRow(message('acme', valid))).toEqual({ ...valid, tenantId: 'acme' });
    });

    it('rejects telemetry without a tenant-id header with CONTRACT.VIOLATION', () => {
      expect(() => toPositionRow(message(undefined, valid))).toThrow(CodedError);
      expect(() => toPositionRow(message(undefined, valid))).toThrow(
        expect.objectContaining({ code: ErrorCodes.contractViolation }),
      );
    });
  });

  describe('store', () => {
    it('stores the fixes of position-batch messages, each with its message tenant, like single fixes', async () => {
      const t = tenant('batches');
      const a = randomUUID();
      const b = randomUUID();
      await register(a, t, 'A');
      await register(b, t, 'B');
      const written = ingestor.positionsWritten;
      const batch = (fixes: Fix[]) => ({
        ...message(t, fixes[0]),
        type: PositionBatchReportedV1.type,
        data: { fixes },
      });
      await ingestor.storeBatches([
        batch([
          { assetId: a, ts: `${d0}T11:00:01Z`, lon: 11.1, lat: 51.1 },
          { assetId: b, ts: `${d0}T11:00:02Z`, lon: 21.2, lat: 41.2 },
        ]),
        batch([
          { assetId: a, ts: `${d0}T11:00:03Z`, lon: 11.3, lat: 51.3 },
          { assetId: a, ts: `${d0}T11:00:01Z`, lon: 99, lat: 9 }, // a repeat of the first
        ]),
      ]);
      expect(ingestor.positionsWritten).toBe(written + 3);
      expect(await latest(a)).toMatchObject({ lon: 11.3, lat: 51.3, ts: `${d0}T11:00:03.000Z` });
      expect((await stored(b)).map((r) => r.lon)).toEqual([21.2]);
      expect(() =>
        toPositionRows([{ ...batch([{ assetId: a, ts: `${d0}T11:00:09Z`, lon: 1, lat: 1 }]), tenantId: undefined }]),
      ).toThrow(expect.objectContaining({ code: ErrorCodes.contractViolation }));
    });

    it('stores each (asset_id, ts) once and keeps the newest fix per asset, whatever the arrival order', async () => {
      const t = tenant('fixes');
      const a = randomUUID();
      const b = randomUUID();
      await register(a, t, 'A');
      await register(b, t, 'B');
      const written = ingestor.positionsWritten;

      await ingestor.store(
        messages(t, [
          { assetId: a, ts: `${d0}T10:00:02Z`, lon: 10.2, lat: 50.2, speed: 12 },
          { assetId: b, ts: `${d0}T10:00:05Z`, lon: 20.5, lat: 40.5 },
          { assetId: a, ts: `${d0}T10:00:03Z`, lon: 10.3, lat: 50.3, speed: 13 }, // newest of a
          { assetId: a, ts: `${d0}T10:00:01Z`, lon: 10.1, lat: 50.1 }, // late within the batch
          { assetId: a, ts: `${d0}T10:00:02Z`, lon: 99, lat: 9 }, // duplicate (asset, ts)
          { assetId: b, ts: `${d0}T10:00:04Z`, lon: 20.4, lat: 40.4 },
        ]),
      );
      expect(ingestor.positionsWritten).toBe(written + 5);
      expect(await latest(a)).toMatchObject({ name: 'A', lon: 10.3, lat: 50.3, ts: `${d0}T10:00:03.000Z`, speed: 13 });
      expect(await latest(b)).toMatchObject({ name: 'B', lon: 20.5, lat: 40.5, ts: `${d0}T10:00:05.000Z` });

      // A later batch: one fix older than the newest, one redelivered.
      await ingestor.store(
        messages(t, [
          { assetId: a, ts: `${d0}T09:59:00Z`, lon: 9.9, lat: 49.9 },
          { assetId: a, ts: `${d0}T10:00:03Z`, lon: 55, lat: 5 },
        ]),
      );
      expect(ingestor.positionsWritten).toBe(written + 6);

      expect(await stored(a)).toEqual([
        { ts: `${d0}T09:59:00.000Z`, lon: 9.9, lat: 49.9, part: part(d0) },
        { ts: `${d0}T10:00:01.000Z`, lon: 10.1, lat: 50.1, part: part(d0) },
        { ts: `${d0}T10:00:02.000Z`, lon: 10.2, lat: 50.2, part: part(d0) },
        { ts: `${d0}T10:00:03.000Z`, lon: 10.3, lat: 50.3, part: part(d0) },
      ]);
      expect((await stored(b)).map((p) => p.ts)).toEqual([`${d0}T10:00:04.000Z`, `${d0}T10:00:05.000Z`]);
      expect(await latest(a)).toMatchObject({ lon: 10.3, lat: 50.3, ts: `${d0}T10:00:03.000Z`, speed: 13 });
    });

    it('inserts nothing and changes nothing when the same batch is stored twice', async () => {
      const t = tenant('twice');
      const id = randomUUID();
      await register(id, t, 'Twice');
      const batch = messages(t, [
        { assetId: id, ts: `${d0}T12:00:00Z`, lon: 1, lat: 2 },
        { assetId: id, ts: `${d0}T12:00:10Z`, lon: 1.1, lat: 2.1 },
        { assetId: id, ts: `${d0}T12:00:20Z`, lon: 1.2, lat: 2.2 },
      ]);

      const written = ingestor.positionsWritten;
      await ingestor.store(batch);
      expect(ingestor.positionsWritten).toBe(written + 3);
      const before = await latest(id);
      await ingestor.store(batch);
      // A fresh ingestor (another replica) has no partition cache and must agree.
      const replica = new PositionsIngestor(pool);
      await replica.store(batch);

      expect(ingestor.positionsWritten).toBe(written + 3);
      expect(replica.positionsWritten).toBe(0);
      expect(await stored(id)).toHaveLength(3);
      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ lon: 1.2, lat: 2.2, ts: `${d0}T12:00:20.000Z` });
    });

    it('puts fixes of different UTC days into different day partitions', async () => {
      const t = tenant('days');
      const id = randomUUID();
      await ingestor.store(
        messages(t, [
          { assetId: id, ts: `${d0}T23:59:59.999Z`, lon: 0, lat: 0 },
          { assetId: id, ts: `${d1}T00:00:00Z`, lon: 0, lat: 0 },
          // 23:30 at UTC-2 is 01:30 UTC the next day: days are UTC days.
          { assetId: id, ts: `${d1}T23:30:00-02:00`, lon: 0, lat: 0 },
        ]),
      );

      expect(await stored(id)).toEqual([
        { ts: `${d0}T23:59:59.999Z`, lon: 0, lat: 0, part: part(d0) },
        { ts: `${d1}T00:00:00.000Z`, lon: 0, lat: 0, part: part(d1) },
        { ts: `${d2}T01:30:00.000Z`, lon: 0, lat: 0, part: part(d2) },
      ]);
    });

    it('does not let telemetry from another tenant move an asset', async () => {
      const owner = tenant('fix-owner');
      const intruder = tenant('fix-intruder');
      const id = randomUUID();
      await register(id, owner, 'Owned');
      await ingestor.store(messages(owner, [{ assetId: id, ts: `${d0}T10:00:00Z`, lon: 10, lat: 50 }]));

      const written = ingestor.positionsWritten;
      await ingestor.store(messages(intruder, [{ assetId: id, ts: `${d0}T11:00:00Z`, lon: -70, lat: -30 }]));

      expect(ingestor.positionsWritten).toBe(written);
      expect(await stored(id)).toEqual([{ ts: `${d0}T10:00:00.000Z`, lon: 10, lat: 50, part: part(d0) }]);
      expect(await latest(id)).toMatchObject({ tenant_id: owner, lon: 10, lat: 50, ts: `${d0}T10:00:00.000Z` });
    });

    it('refuses a batch holding a fix without tenant, writing nothing (the messaging layer splits it)', async () => {
      const t = tenant('no-tenant');
      const id = randomUUID();
      const batch = [
        message(t, { assetId: id, ts: `${d0}T13:00:00Z`, lon: 3, lat: 4 }),
        message(undefined, { assetId: id, ts: `${d0}T13:00:01Z`, lon: 3, lat: 4 }),
      ];

      await expect(ingestor.store(batch)).rejects.toMatchObject({ code: ErrorCodes.contractViolation });

      expect(await stored(id)).toEqual([]);
      expect(await latest(id)).toBeUndefined();
    });
  });
});
