import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import type { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetRegisteredV1, AssetRegisteredV2, AssetStatusChangedV1 } from '@meridian/contracts/assets';
import {
  type DataOf,
  type Envelope,
  ErrorCodes,
  type MessageContract,
  parseData,
  Topics,
} from '@meridian/contracts/core';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { READ_POOL, ReadModelModule } from '@meridian/read-model/data-source';
import { PositionsWriter } from '@meridian/read-model/positions';
import { CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { ProjectionAssetsModule } from '../projection-assets.module';
import { AssetEventsProjector } from './asset-events.projector';

// Tenant ids are unique per test and per run; asset ids are random uuids.
const run = randomBytes(3).toString('hex');
const tenant = (name: string): string => `pa${run}-${name}`;
/** Fixes are of today (UTC): their partitions are the ones the service keeps anyway. */
const today = new Date().toISOString().slice(0, 10);

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

/** The projection service's wiring of this feature: the read-model DataSource, migrated at start. */
@Module({ imports: [TestCoreModule, ReadModelModule.forRoot({ migrate: true }), ProjectionAssetsModule] })
class TestProjectionModule {}

const envelope = <C extends MessageContract>(contract: C, data: DataOf<C>, tenantId: string): Envelope<DataOf<C>> => ({
  id: randomUUID(),
  type: contract.type,
  source: '/meridian/workflow',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
});

const registered = (
  assetId: string,
  tenantId: string,
  version: number,
  name = `asset ${version}`,
  access: { sensitivity: number; team: string | null } = { sensitivity: 0, team: null },
) =>
  envelope(
    AssetRegisteredV2,
    {
      assetId,
      tenantId,
      name,
      kind: 'drone',
      status: 'registered',
      version,
      registeredAt: '2025-03-01T10:00:00Z',
      ...access,
    },
    tenantId,
  );

/** As published before access attributes existed (still on the topic). */
const registeredV1 = (assetId: string, tenantId: string, version: number, name = `asset ${version}`) =>
  envelope(
    AssetRegisteredV1,
    { assetId, tenantId, name, kind: 'drone', status: 'registered', version, registeredAt: '2025-03-01T10:00:00Z' },
    tenantId,
  );

const statusChanged = (
  assetId: string,
  tenantId: string,
  status: DataOf<typeof AssetStatusChangedV1>['status'],
  version: number,
) =>
  envelope(AssetStatusChangedV1, { assetId, tenantId, status, version, changedAt: '2025-03-01T11:00:00Z' }, tenantId);

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
  sensitivity: number;
  team: string | null;
  updated_at: string;
}

describe('AssetEventsProjector into read.asset_latest (real PostGIS, Nest module)', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let projector: AssetEventsProjector;

  /** Hands an event to the projector's route for its type, as the events server does. */
  type Projected = ReturnType<typeof registered> | ReturnType<typeof registeredV1> | ReturnType<typeof statusChanged>;
  const project = async (event: Projected): Promise<void> => {
    if (event.type === AssetRegisteredV2.type) {
      await projector.registered(event as ReturnType<typeof registered>);
    } else if (event.type === AssetRegisteredV1.type) {
      await projector.registeredV1(event as ReturnType<typeof registeredV1>);
    } else {
      await projector.statusChanged(event as ReturnType<typeof statusChanged>);
    }
  };

  const latest = async (assetId: string): Promise<LatestRow | undefined> =>
    (
      await pool.query<LatestRow>(
        `SELECT asset_id, tenant_id, name, kind, status, version, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, speed, sensitivity, team,
           updated_at::text
         FROM read.asset_latest WHERE asset_id = $1`,
        [assetId],
      )
    ).rows[0];

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(TestProjectionModule, { logger: false });
    pool = app.get<Pool>(READ_POOL);
    projector = app.get(AssetEventsProjector);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`pa${run}-%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`pa${run}-%`]);
    await app?.close();
  });

  describe('routes', () => {
    const route = (method: keyof AssetEventsProjector) => {
      const handler = AssetEventsProjector.prototype[method];
      return {
        patterns: Reflect.getMetadata(PATTERN_METADATA, handler) as unknown,
        extras: Reflect.getMetadata(PATTERN_EXTRAS_METADATA, handler) as { topic?: string; contract?: MessageContract },
      };
    };

    it('declares one event route per projected type on the workflow events topic; other types have none', () => {
      expect(route('registered')).toEqual({
        patterns: [AssetRegisteredV2.type],
        extras: { topic: Topics.workflowEvents, contract: AssetRegisteredV2 },
      });
      expect(route('registeredV1')).toEqual({
        patterns: [AssetRegisteredV1.type],
        extras: { topic: Topics.workflowEvents, contract: AssetRegisteredV1 },
      });
      expect(route('statusChanged')).toEqual({
        patterns: [AssetStatusChangedV1.type],
        extras: { topic: Topics.workflowEvents, contract: AssetStatusChangedV1 },
      });
      // The events server skips a type without a route (tested in the messaging lib), e.g. a future
      // `asset.renamed`: an old projector keeps going.
      const routed = Object.getOwnPropertyNames(AssetEventsProjector.prototype)
        .map((name) => Reflect.getMetadata(PATTERN_METADATA, Reflect.get(AssetEventsProjector.prototype, name)))
        .filter((p): p is string[] => Array.isArray(p))
        .flat();
      expect(routed.sort()).toEqual([AssetRegisteredV1.type, AssetRegisteredV2.type, AssetStatusChangedV1.type].sort());
    });

    it("rejects, by the route's contract, a registered event that breaks it (CONTRACT.VIOLATION)", () => {
      const { contract } = route('registered').extras;
      if (!contract) throw new Error('the registered route declares no contract');
      const good = registered(randomUUID(), tenant('bad-event'), 1);
      expect(parseData(contract, good)).toEqual(good.data);

      for (const broken of [{ kind: 'submarine' }, { sensitivity: 5 }, { team: undefined }]) {
        const bad = { ...good, data: { ...good.data, ...broken } };
        expect(() => parseData(contract, bad)).toThrow(
          expect.objectContaining({ name: 'CodedError', code: ErrorCodes.contractViolation }),
        );
      }
    });
  });

  describe('workflow events', () => {
    it('projects a registration, then a status change', async () => {
      const t = tenant('lifecycle');
      const id = randomUUID();

      await project(registered(id, t, 1, 'Heron 1'));
      expect(await latest(id)).toMatchObject({
        tenant_id: t,
        name: 'Heron 1',
        kind: 'drone',
        status: 'registered',
        version: 1,
        lon: null,
        ts: null,
      });

      await project(statusChanged(id, t, 'available', 2));
      expect(await latest(id)).toMatchObject({
        tenant_id: t,
        name: 'Heron 1',
        kind: 'drone',
        status: 'available',
        version: 2,
      });
    });

    it('stores the access attributes of a registration; one published before them: public, of no team', async () => {
      const t = tenant('access');
      const [secret, old] = [randomUUID(), randomUUID()];
      await project(registered(secret, t, 1, 'Raven', { sensitivity: 3, team: 'recon' }));
      await project(registeredV1(old, t, 1, 'Old heron'));
      expect(await latest(secret)).toMatchObject({ name: 'Raven', sensitivity: 3, team: 'recon', version: 1 });
      expect(await latest(old)).toMatchObject({ name: 'Old heron', sensitivity: 0, team: null, version: 1 });

      // A status change keeps them; a stale v1 redelivery of the registration does not reset them.
      await project(statusChanged(secret, t, 'available', 2));
      await project(registeredV1(secret, t, 1, 'Raven'));
      expect(await latest(secret)).toMatchObject({ status: 'available', sensitivity: 3, team: 'recon', version: 2 });
    });

    it('changes nothing when the same events arrive again, or an older version after a newer one', async () => {
      const t = tenant('redelivery');
      const id = randomUUID();
      const history = [
        registered(id, t, 1, 'Kestrel'),
        statusChanged(id, t, 'available', 2),
        statusChanged(id, t, 'maintenance', 3),
      ];
      for (const e of history) await project(e);
      const before = await latest(id);
      expect(before).toMatchObject({ name: 'Kestrel', status: 'maintenance', version: 3 });

      const registrations = jest.spyOn(AssetLatestWriter.prototype, 'applyRegistration');
      const statuses = jest.spyOn(AssetLatestWriter.prototype, 'applyStatus');
      try {
        // Redelivery of the whole stream, then the older events again in reverse order.
        for (const e of [...history, ...[...history].reverse()]) await project(e);
        // An older version with different content must not win either.
        await project(registered(id, t, 1, 'Renamed by a stale replay'));
        await project(statusChanged(id, t, 'retired', 2));

        const applied = await Promise.all(
          [...registrations.mock.results, ...statuses.mock.results].map((r) => r.value),
        );
        expect(applied).toEqual(Array<boolean>(8).fill(false));
      } finally {
        registrations.mockRestore();
        statuses.mockRestore();
      }
      // updated_at unchanged proves that no write happened at all.
      expect(await latest(id)).toEqual(before);

      // The guard is on the version, not a blanket refusal: the next version applies.
      await project(statusChanged(id, t, 'available', 4));
      expect(await latest(id)).toMatchObject({ name: 'Kestrel', status: 'available', version: 4 });
    });

    it('fills in the row a fix created before the registration arrived', async () => {
      const t = tenant('fix-first');
      const id = randomUUID();
      await new PositionsWriter(pool).write([
        { tenantId: t, assetId: id, ts: `${today}T08:00:00Z`, lon: 7.5, lat: 46.9, speed: 3 },
      ]);
      expect(await latest(id)).toMatchObject({
        tenant_id: t,
        name: null,
        kind: null,
        status: null,
        version: 0,
        lon: 7.5,
      });

      expect(await latest(id)).toMatchObject({ sensitivity: 0, team: null });

      await project(registered(id, t, 1, 'Early bird', { sensitivity: 2, team: 'night' }));

      expect(await latest(id)).toMatchObject({
        tenant_id: t,
        name: 'Early bird',
        sensitivity: 2,
        team: 'night',
        kind: 'drone',
        status: 'registered',
        version: 1,
        lon: 7.5,
        lat: 46.9,
        ts: `${today}T08:00:00.000Z`,
        speed: 3,
      });
    });
  });

  describe('tenant isolation', () => {
    it('does not apply a status change carrying another tenant id to the owner row', async () => {
      const owner = tenant('status-owner');
      const intruder = tenant('status-intruder');
      const id = randomUUID();
      await project(registered(id, owner, 1, 'Owned'));
      const before = await latest(id);

      // A higher version, so only a tenant check can stop it.
      await project(statusChanged(id, intruder, 'retired', 5));

      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: 'Owned', status: 'registered', version: 1 });
    });

    it('does not let a registration in another tenant take over an asset id', async () => {
      const owner = tenant('reg-owner');
      const intruder = tenant('reg-intruder');
      const id = randomUUID();
      await project(registered(id, owner, 1, 'Owned'));
      const before = await latest(id);

      await project(registered(id, intruder, 7, 'Hijacked'));

      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: 'Owned', version: 1 });
    });

    it("does not let a registration in another tenant take over a row made by the owner's fix", async () => {
      const owner = tenant('fix-row-owner');
      const intruder = tenant('fix-row-intruder');
      const id = randomUUID();
      await new PositionsWriter(pool).write([
        { tenantId: owner, assetId: id, ts: `${today}T09:00:00Z`, lon: 1, lat: 2 },
      ]);
      const before = await latest(id);

      await project(registered(id, intruder, 1, 'Hijacked'));

      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: null, version: 0 });
    });
  });
});
