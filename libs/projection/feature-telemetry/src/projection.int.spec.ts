import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetRegisteredV1, AssetStatusChangedV1, CodedError, type Envelope, ErrorCodes, type Fix, PositionReportedV1 } from '@meridian/contracts';
import { AssetLatestRepository, PositionsRepository, READ_SCHEMA, readModelMigrations } from '@meridian/projection/data-access';
import { migrate } from '@meridian/shared/event-store';
import { createTestPool } from '@meridian/shared/testing';
import { projectAssetEvent } from './asset-events.projector';
import { parsePosition } from './telemetry.ingestor';

// Tenant ids are unique per test and per run; asset ids are random uuids.
const run = randomBytes(3).toString('hex');
const tenant = (name: string): string => `t${run}-${name}`;

const envelope = (type: string, data: unknown, tenantId?: string): Envelope => ({
  id: randomUUID(),
  type,
  source: 'projection.int.spec',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  ...(tenantId ? { tenantId } : {}),
});

const registered = (assetId: string, tenantId: string, version: number, name = `asset ${version}`): Envelope =>
  envelope(
    AssetRegisteredV1.type,
    { assetId, tenantId, name, kind: 'drone', status: 'registered', version, registeredAt: '2025-03-01T10:00:00Z' },
    tenantId,
  );

const statusChanged = (assetId: string, tenantId: string, status: string, version: number): Envelope =>
  envelope(AssetStatusChangedV1.type, { assetId, tenantId, status, version, changedAt: '2025-03-01T11:00:00Z' }, tenantId);

const fixEnvelope = (tenantId: string | undefined, fix: Fix): Envelope => envelope(PositionReportedV1.type, fix, tenantId);

/** Telemetry goes through the same parse step the ingestor runs before writing. */
const fixes = (tenantId: string, list: readonly Fix[]) => list.map((f) => parsePosition(fixEnvelope(tenantId, f)));

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

interface LatestRow {
  asset_id: string;
  tenant_id: string;
  name: string | null;
  kind: string | null;
  status: string | null;
  version: number;
  lon: number | null;
  lat: number | null;
  ts: string | null;
  speed: number | null;
  updated_at: string;
}

describe('projection into read.asset_latest and read.positions (real PostGIS)', () => {
  let pool: Pool;
  let assets: AssetLatestRepository;
  let positions: PositionsRepository;

  const latest = async (assetId: string): Promise<LatestRow | undefined> =>
    (
      await pool.query<LatestRow>(
        `SELECT asset_id, tenant_id, name, kind, status, version, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, speed, updated_at::text
         FROM read.asset_latest WHERE asset_id = $1`,
        [assetId],
      )
    ).rows[0];

  const stored = async (assetId: string): Promise<{ ts: string; lon: number; lat: number; part: string }[]> =>
    (
      await pool.query<{ ts: string; lon: number; lat: number; part: string }>(
        `SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           tableoid::regclass::text AS part
         FROM read.positions WHERE asset_id = $1 ORDER BY ts`,
        [assetId],
      )
    ).rows;

  const partitions = async (): Promise<string[]> =>
    (
      await pool.query<{ part: string }>(
        `SELECT inhrelid::regclass::text AS part FROM pg_inherits WHERE inhparent = 'read.positions'::regclass ORDER BY 1`,
      )
    ).rows.map((r) => r.part);

  beforeAll(async () => {
    pool = createTestPool();
    // Only this file and asset-queries.int.spec.ts use schema `read` in the test database.
    await pool.query(`DROP SCHEMA IF EXISTS ${READ_SCHEMA} CASCADE`);
    expect(await migrate(pool, READ_SCHEMA, readModelMigrations)).toEqual([1]);
    assets = new AssetLatestRepository(pool);
    positions = new PositionsRepository(pool);
  });

  afterAll(async () => {
    await pool?.end();
  });

  describe('workflow events', () => {
    it('projects a registration, then a status change', async () => {
      const t = tenant('lifecycle');
      const id = randomUUID();

      await projectAssetEvent(assets, registered(id, t, 1, 'Heron 1'));
      expect(await latest(id)).toMatchObject({ tenant_id: t, name: 'Heron 1', kind: 'drone', status: 'registered', version: 1, lon: null, ts: null });

      await projectAssetEvent(assets, statusChanged(id, t, 'available', 2));
      expect(await latest(id)).toMatchObject({ tenant_id: t, name: 'Heron 1', kind: 'drone', status: 'available', version: 2 });
    });

    it('changes nothing when the same events arrive again, or an older version after a newer one', async () => {
      const t = tenant('redelivery');
      const id = randomUUID();
      const history = [registered(id, t, 1, 'Kestrel'), statusChanged(id, t, 'available', 2), statusChanged(id, t, 'maintenance', 3)];
      for (const e of history) await projectAssetEvent(assets, e);
      const before = await latest(id);
      expect(before).toMatchObject({ name: 'Kestrel', status: 'maintenance', version: 3 });

      const registrations = jest.spyOn(assets, 'applyRegistration');
      const statuses = jest.spyOn(assets, 'applyStatus');
      try {
        // Redelivery of the whole stream, then the older events again in reverse order.
        for (const e of [...history, ...[...history].reverse()]) await projectAssetEvent(assets, e);
        // An older version with different content must not win either.
        await projectAssetEvent(assets, registered(id, t, 1, 'Renamed by a stale replay'));
        await projectAssetEvent(assets, statusChanged(id, t, 'retired', 2));

        const applied = await Promise.all([...registrations.mock.results, ...statuses.mock.results].map((r) => r.value));
        expect(applied).toEqual(Array<boolean>(8).fill(false));
      } finally {
        registrations.mockRestore();
        statuses.mockRestore();
      }
      // updated_at unchanged proves that no write happened at all.
      expect(await latest(id)).toEqual(before);

      // The guard is on the version, not a blanket refusal: the next version applies.
      expect(await assets.applyStatus(id, t, 'available', 4)).toBe(true);
      expect(await latest(id)).toMatchObject({ name: 'Kestrel', status: 'available', version: 4 });
    });

    it('skips event types it does not know', async () => {
      const t = tenant('unknown-type');
      const id = randomUUID();
      await projectAssetEvent(assets, envelope('meridian.workflow.asset.renamed.v9', { assetId: id, tenantId: t, version: 1 }, t));
      expect(await latest(id)).toBeUndefined();
    });

    it('rejects a registered event that breaks the contract (CONTRACT.VIOLATION), writing nothing', async () => {
      const t = tenant('bad-event');
      const id = randomUUID();
      const bad = envelope(AssetRegisteredV1.type, { assetId: id, tenantId: t, name: 'x', kind: 'submarine', status: 'registered', version: 1 }, t);
      await expect(projectAssetEvent(assets, bad)).rejects.toMatchObject({ name: 'CodedError', code: ErrorCodes.contractViolation });
      expect(await latest(id)).toBeUndefined();
    });
  });

  describe('tenant isolation', () => {
    it('does not apply a status change carrying another tenant id to the owner row', async () => {
      const owner = tenant('status-owner');
      const intruder = tenant('status-intruder');
      const id = randomUUID();
      await projectAssetEvent(assets, registered(id, owner, 1, 'Owned'));

      // A higher version, so only a tenant check can stop it.
      await projectAssetEvent(assets, statusChanged(id, intruder, 'retired', 5));
      expect(await assets.applyStatus(id, intruder, 'retired', 6)).toBe(false);

      expect(await latest(id)).toMatchObject({ tenant_id: owner, name: 'Owned', status: 'registered', version: 1 });
    });

    it('does not let a registration in another tenant take over an asset id', async () => {
      const owner = tenant('reg-owner');
      const intruder = tenant('reg-intruder');
      const id = randomUUID();
      await projectAssetEvent(assets, registered(id, owner, 1, 'Owned'));
      const before = await latest(id);

      await projectAssetEvent(assets, registered(id, intruder, 7, 'Hijacked'));
      expect(await assets.applyRegistration({ assetId: id, tenantId: intruder, name: 'Hijacked', kind: 'crew', status: 'available', version: 9 })).toBe(false);

      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: 'Owned', version: 1 });
    });

    it('does not let telemetry from another tenant move an asset', async () => {
      const owner = tenant('fix-owner');
      const intruder = tenant('fix-intruder');
      const id = randomUUID();
      await projectAssetEvent(assets, registered(id, owner, 1));
      await positions.write(fixes(owner, [{ assetId: id, ts: '2025-03-05T10:00:00Z', lon: 10, lat: 50 }]));

      await positions.write(fixes(intruder, [{ assetId: id, ts: '2025-03-05T11:00:00Z', lon: -70, lat: -30 }]));

      expect(await latest(id)).toMatchObject({ tenant_id: owner, lon: 10, lat: 50, ts: '2025-03-05T10:00:00.000Z' });
    });
  });

  describe('telemetry', () => {
    it('stores each (asset_id, ts) once and keeps the newest fix per asset, whatever the arrival order', async () => {
      const t = tenant('fixes');
      const a = randomUUID();
      const b = randomUUID();
      await projectAssetEvent(assets, registered(a, t, 1, 'A'));
      await projectAssetEvent(assets, registered(b, t, 1, 'B'));

      const first = await positions.write(
        fixes(t, [
          { assetId: a, ts: '2025-03-10T10:00:02Z', lon: 10.2, lat: 50.2, speed: 12 },
          { assetId: b, ts: '2025-03-10T10:00:05Z', lon: 20.5, lat: 40.5 },
          { assetId: a, ts: '2025-03-10T10:00:03Z', lon: 10.3, lat: 50.3, speed: 13 }, // newest of a
          { assetId: a, ts: '2025-03-10T10:00:01Z', lon: 10.1, lat: 50.1 }, // late within the batch
          { assetId: a, ts: '2025-03-10T10:00:02Z', lon: 99, lat: 9 }, // duplicate (asset, ts)
          { assetId: b, ts: '2025-03-10T10:00:04Z', lon: 20.4, lat: 40.4 },
        ]),
      );
      expect(first.inserted).toBe(5);
      expect(await latest(a)).toMatchObject({ name: 'A', lon: 10.3, lat: 50.3, ts: '2025-03-10T10:00:03.000Z', speed: 13 });
      expect(await latest(b)).toMatchObject({ name: 'B', lon: 20.5, lat: 40.5, ts: '2025-03-10T10:00:05.000Z' });

      // A later batch: one fix older than the newest, one redelivered.
      const second = await positions.write(
        fixes(t, [
          { assetId: a, ts: '2025-03-10T09:59:00Z', lon: 9.9, lat: 49.9 },
          { assetId: a, ts: '2025-03-10T10:00:03Z', lon: 55, lat: 5 },
        ]),
      );
      expect(second.inserted).toBe(1);

      expect(await stored(a)).toEqual([
        { ts: '2025-03-10T09:59:00.000Z', lon: 9.9, lat: 49.9, part: 'read.positions_20250310' },
        { ts: '2025-03-10T10:00:01.000Z', lon: 10.1, lat: 50.1, part: 'read.positions_20250310' },
        { ts: '2025-03-10T10:00:02.000Z', lon: 10.2, lat: 50.2, part: 'read.positions_20250310' },
        { ts: '2025-03-10T10:00:03.000Z', lon: 10.3, lat: 50.3, part: 'read.positions_20250310' },
      ]);
      expect((await stored(b)).map((p) => p.ts)).toEqual(['2025-03-10T10:00:04.000Z', '2025-03-10T10:00:05.000Z']);
      expect(await latest(a)).toMatchObject({ lon: 10.3, lat: 50.3, ts: '2025-03-10T10:00:03.000Z', speed: 13 });
    });

    it('creates the row from a fix that overtook the registration; the registration then fills it in', async () => {
      const t = tenant('fix-first');
      const id = randomUUID();
      await positions.write(fixes(t, [{ assetId: id, ts: '2025-03-11T08:00:00Z', lon: 7.5, lat: 46.9, speed: 3 }]));
      expect(await latest(id)).toMatchObject({ tenant_id: t, name: null, kind: null, status: null, version: 0, lon: 7.5, lat: 46.9 });

      await projectAssetEvent(assets, registered(id, t, 1, 'Early bird'));
      expect(await latest(id)).toMatchObject({
        tenant_id: t,
        name: 'Early bird',
        kind: 'drone',
        status: 'registered',
        version: 1,
        lon: 7.5,
        lat: 46.9,
        ts: '2025-03-11T08:00:00.000Z',
        speed: 3,
      });
    });

    it('inserts nothing and changes nothing when the same batch is written twice', async () => {
      const t = tenant('twice');
      const id = randomUUID();
      await projectAssetEvent(assets, registered(id, t, 1));
      const batch = fixes(t, [
        { assetId: id, ts: '2025-03-12T12:00:00Z', lon: 1, lat: 2 },
        { assetId: id, ts: '2025-03-12T12:00:10Z', lon: 1.1, lat: 2.1 },
        { assetId: id, ts: '2025-03-12T12:00:20Z', lon: 1.2, lat: 2.2 },
      ]);

      expect(await positions.write(batch)).toEqual({ inserted: 3 });
      const before = await latest(id);
      expect(await positions.write(batch)).toEqual({ inserted: 0 });
      // A fresh repository (another replica) has no partition cache and must agree.
      expect(await new PositionsRepository(pool).write(batch)).toEqual({ inserted: 0 });

      expect(await stored(id)).toHaveLength(3);
      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ lon: 1.2, lat: 2.2, ts: '2025-03-12T12:00:20.000Z' });
    });

    it('puts fixes of different UTC days into different day partitions', async () => {
      const t = tenant('days');
      const id = randomUUID();
      const inserted = await positions.write(
        fixes(t, [
          { assetId: id, ts: '2025-03-20T23:59:59.999Z', lon: 0, lat: 0 },
          { assetId: id, ts: '2025-03-21T00:00:00Z', lon: 0, lat: 0 },
          // 23:30 at UTC-2 is 01:30 UTC on the 22nd: days are UTC days.
          { assetId: id, ts: '2025-03-21T23:30:00-02:00', lon: 0, lat: 0 },
        ]),
      );
      expect(inserted).toEqual({ inserted: 3 });

      expect(await stored(id)).toEqual([
        { ts: '2025-03-20T23:59:59.999Z', lon: 0, lat: 0, part: 'read.positions_20250320' },
        { ts: '2025-03-21T00:00:00.000Z', lon: 0, lat: 0, part: 'read.positions_20250321' },
        { ts: '2025-03-22T01:30:00.000Z', lon: 0, lat: 0, part: 'read.positions_20250322' },
      ]);
      expect(await partitions()).toEqual(expect.arrayContaining(['read.positions_20250320', 'read.positions_20250321', 'read.positions_20250322']));
      const bound = await pool.query<{ bound: string }>(`SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class WHERE oid = 'read.positions_20250321'::regclass`);
      expect(bound.rows[0].bound).toBe(`FOR VALUES FROM ('2025-03-21 00:00:00+00') TO ('2025-03-22 00:00:00+00')`);
    });

    it('creates the partition for a fix far in the past', async () => {
      const t = tenant('old');
      const id = randomUUID();
      expect(await partitions()).not.toContain('read.positions_19990817');

      expect(await positions.write(fixes(t, [{ assetId: id, ts: '1999-08-17T06:30:00Z', lon: 13.4, lat: 52.5 }]))).toEqual({ inserted: 1 });

      expect(await partitions()).toContain('read.positions_19990817');
      expect(await stored(id)).toEqual([{ ts: '1999-08-17T06:30:00.000Z', lon: 13.4, lat: 52.5, part: 'read.positions_19990817' }]);
    });
  });

  describe('parsePosition', () => {
    const valid: Fix = { assetId: randomUUID(), ts: '2025-03-01T10:00:00Z', lon: 10, lat: 50, battery: 80 };

    it('turns a telemetry envelope into a row of the tenant in its header', () => {
      expect(parsePosition(fixEnvelope('acme', valid))).toEqual({ ...valid, tenantId: 'acme' });
    });

    it('rejects telemetry without a tenant-id header with CONTRACT.VIOLATION', () => {
      const err = thrown(() => parsePosition(fixEnvelope(undefined, valid)));
      expect(err).toBeInstanceOf(CodedError);
      expect(err).toMatchObject({ code: ErrorCodes.contractViolation });
    });

    it.each([
      ['longitude', { lon: 180.0001 }],
      ['longitude', { lon: -181 }],
      ['latitude', { lat: 90.5 }],
      ['latitude', { lat: -91 }],
    ])('rejects an out-of-range %s (%o) with CONTRACT.VIOLATION', (_axis, patch) => {
      const err = thrown(() => parsePosition(fixEnvelope('acme', { ...valid, ...patch })));
      expect(err).toBeInstanceOf(CodedError);
      expect(err).toMatchObject({ code: ErrorCodes.contractViolation });
    });
  });
});
