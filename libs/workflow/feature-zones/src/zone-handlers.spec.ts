import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { type Envelope, errorDefinition } from '@meridian/contracts/core';
import type { Principal, Region } from '@meridian/contracts/identity';
import {
  ArchiveZoneV1,
  CreateZoneV1,
  CreateZoneV2,
  ZoneArchivedV1,
  ZoneCreatedV2,
  zoneKinds as contractKinds,
  ReplaceZoneV1,
  ReplaceZoneV2,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import { handle, load } from '@meridian/shared/decider';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { checkZoneGeometry } from '@meridian/shared/geometry';
import { ZoneRejections, zoneDecider, zoneKinds, zoneStreamId, workflowUpcasters } from '@meridian/workflow/domain';
// Relative until @meridian/shared/testing exports it (libs/shared/testing/src/index.ts is the integrator's).
import { testPrincipal } from '@meridian/shared/testing';
import { archiveZone } from './archive-zone/archive-zone.handler';
import { createZone, createZoneV1 } from './create-zone/create-zone.handler';
import { toZoneIntegrationEvent } from './publish-zone-events/zone-integration-events';
import { replaceZone, replaceZoneV1 } from './replace-zone/replace-zone.handler';

const settings = { maxVertices: 100 };
const now = new Date('2026-11-30T10:00:00.000Z');
// Clockwise on purpose: stored and published counter-clockwise (RFC 7946).
const clockwise = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [8.5, 47.3],
      [8.5, 47.4],
      [8.6, 47.4],
      [8.6, 47.3],
      [8.5, 47.3],
    ],
  ],
};
const bowTie = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [8.5, 47.3],
      [8.6, 47.4],
      [8.6, 47.3],
      [8.5, 47.4],
      [8.5, 47.3],
    ],
  ],
};
const content = { name: 'Depot', geometry: clockwise, validFrom: null, validTo: null, sensitivity: 1, team: null };

const envelope = <D>(type: string, data: D, tenantId = 'acme', principal = testPrincipal(tenantId)): Envelope<D> => ({
  id: randomUUID(),
  type,
  source: '/meridian/gateway',
  time: now.toISOString(),
  data,
  correlationId: 'corr-1',
  tenantId,
  principal,
});
const create = (zoneId: string, geometry: unknown = clockwise) =>
  envelope(CreateZoneV2.type, { ...content, geometry, zoneId, kind: 'geofence' as const }) as Parameters<
    typeof createZone
  >[2];

describe('zone command handlers (in-memory event store)', () => {
  it('creates a zone with rewound geometry and publishes the whole content with the version', async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    const reply = await createZone(store, settings, create(zoneId), now);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: `zone-${zoneId}`, version: 1 });
    const [event] = await store.readStream(`zone-${zoneId}`);
    expect(event.metadata).toMatchObject({ tenantId: 'acme', actor: 'test-admin' });
    const message = toZoneIntegrationEvent(event);
    const data = ZoneCreatedV2.schema.parse(message?.data);
    expect(message).toMatchObject({ key: zoneId, type: ZoneCreatedV2.type });
    expect(data).toMatchObject({ zoneId, tenantId: 'acme', version: 1, kind: 'geofence', sensitivity: 1, team: null });
    expect(data.geometry.coordinates[0]).toEqual([...clockwise.coordinates[0]].reverse());
  });

  it('refuses invalid geometry with ZONE.GEOMETRY_INVALID naming where, and writes nothing', async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    const reply = await createZone(store, settings, create(zoneId, bowTie), now);
    expect(reply.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.GEOMETRY_INVALID' });
    expect((reply.data as { detail: string }).detail).toMatch(/self-intersection near 8\.55 47\.35/);
    const tooBig = {
      type: 'Polygon',
      coordinates: [[...Array.from({ length: 200 }, (_, i) => [i / 1000, 0]), [0, 0]]],
    };
    const big = await createZone(store, settings, create(zoneId, tooBig), now);
    expect(big.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.GEOMETRY_INVALID' });
    expect(await store.readStream(`zone-${zoneId}`)).toEqual([]);
  });

  it('replaces with If-Match: the current version applies, a stale one is REQUEST.PRECONDITION_FAILED', async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    await createZone(store, settings, create(zoneId), now);
    const replace = (expectedVersion: number | undefined, name: string) =>
      replaceZone(store, settings, envelope(ReplaceZoneV2.type, { ...content, name, zoneId, expectedVersion }), now);
    expect((await replace(1, 'North')).data).toMatchObject({ outcome: 'accepted', version: 2 });
    expect((await replace(1, 'South')).data).toMatchObject({
      outcome: 'rejected',
      code: 'REQUEST.PRECONDITION_FAILED',
    });
    expect((await replace(undefined, 'South')).data).toMatchObject({ outcome: 'accepted', version: 3 });
    const events = await store.readStream(`zone-${zoneId}`);
    expect(ZoneReplacedV2.schema.parse(toZoneIntegrationEvent(events[2])?.data)).toMatchObject({
      name: 'South',
      tenantId: 'acme',
      version: 3,
    });
  });

  it("archives once; another tenant's zone is not found", async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    await createZone(store, settings, create(zoneId), now);
    const other = await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }, 'other'), now);
    expect(other.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    // A version named by another tenant tells it nothing either: still not found, not 412.
    const guessed = await archiveZone(
      store,
      envelope(ArchiveZoneV1.type, { zoneId, expectedVersion: 5 }, 'other'),
      now,
    );
    expect(guessed.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    const archived = await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }), now);
    expect(archived.data).toMatchObject({ outcome: 'accepted', version: 2 });
    const again = await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }), now);
    expect(again.data).toMatchObject({ outcome: 'accepted', version: 2 });
    const [, event] = await store.readStream(`zone-${zoneId}`);
    expect(ZoneArchivedV1.schema.parse(toZoneIntegrationEvent(event)?.data)).toMatchObject({ zoneId, version: 2 });
  });

  describe('decides zones:write in process: refusals carry the policy code, nothing is written', () => {
    /** Zurich and around: the clockwise depot (8.5–8.6, 47.3–47.4) lies inside, `far` does not. */
    const region: Region = {
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
    const far = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [10, 50],
          [10.1, 50],
          [10.1, 50.1],
          [10, 50.1],
          [10, 50],
        ],
      ],
    };
    type Content = Omit<Partial<typeof content>, 'geometry' | 'team'> & { geometry?: unknown; team?: string | null };
    const as = (overrides: Partial<Principal>) => testPrincipal('acme', { roles: ['operator'], ...overrides });
    const createAs = (zoneId: string, principal: string, change: Content = {}) =>
      createZone(
        store,
        settings,
        envelope(
          CreateZoneV2.type,
          { ...content, ...change, zoneId, kind: 'geofence' as const },
          'acme',
          principal,
        ) as Parameters<typeof createZone>[2],
        now,
      );
    const replaceAs = (zoneId: string, principal: string, change: Content = {}) =>
      replaceZone(
        store,
        settings,
        envelope(ReplaceZoneV2.type, { ...content, ...change, zoneId }, 'acme', principal) as Parameters<
          typeof replaceZone
        >[2],
        now,
      );
    const archiveAs = (zoneId: string, principal: string) =>
      archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }, 'acme', principal), now);
    const admin = testPrincipal('acme');
    let store: InMemoryEventStore;
    beforeEach(() => {
      store = new InMemoryEventStore();
    });
    const refused = async (reply: Promise<{ data: unknown }>, code: string, zoneId: string, events: number) => {
      expect((await reply).data).toMatchObject({ outcome: 'rejected', code });
      expect(await store.readStream(zoneStreamId(zoneId))).toHaveLength(events);
    };

    it('a region-restricted user creates only zones that intersect the region', async () => {
      const inside = randomUUID();
      const outside = randomUUID();
      expect((await createAs(inside, as({ region }))).data).toMatchObject({ outcome: 'accepted', version: 1 });
      await refused(createAs(outside, as({ region }), { geometry: far }), 'AUTH.OUTSIDE_REGION', outside, 0);
    });

    it('a region-restricted user can neither move a zone out of its region nor take one from outside', async () => {
      const inside = randomUUID();
      const outside = randomUUID();
      await createAs(inside, admin);
      await createAs(outside, admin, { geometry: far });
      await refused(replaceAs(inside, as({ region }), { geometry: far }), 'AUTH.OUTSIDE_REGION', inside, 1);
      await refused(replaceAs(outside, as({ region }), { geometry: clockwise }), 'AUTH.OUTSIDE_REGION', outside, 1);
      await refused(archiveAs(outside, as({ region })), 'AUTH.OUTSIDE_REGION', outside, 1);
      expect((await replaceAs(inside, as({ region }), { name: 'Depot 2' })).data).toMatchObject({ version: 2 });
    });

    it('clearance must reach the sensitivity of the zone as it is and as it will be', async () => {
      const zoneId = randomUUID();
      await refused(createAs(zoneId, as({ clearance: 1 }), { sensitivity: 2 }), 'AUTH.CLEARANCE', zoneId, 0);
      await createAs(zoneId, admin, { sensitivity: 3 });
      // Lowering it is a write to a zone the principal may not write.
      await refused(replaceAs(zoneId, as({ clearance: 2 }), { sensitivity: 0 }), 'AUTH.CLEARANCE', zoneId, 1);
      await refused(archiveAs(zoneId, as({ clearance: 2 })), 'AUTH.CLEARANCE', zoneId, 1);
      expect((await replaceAs(zoneId, as({ clearance: 3 }), { sensitivity: 0 })).data).toMatchObject({ version: 2 });
    });

    it("a team-restricted user writes only its teams' zones and team-less ones", async () => {
      const red = randomUUID();
      const open = randomUUID();
      const blue = as({ teams: ['blue'] });
      await refused(createAs(red, blue, { team: 'red' }), 'AUTH.TEAM', red, 0);
      await createAs(red, admin, { team: 'red' });
      await refused(replaceAs(red, blue, { team: 'blue' }), 'AUTH.TEAM', red, 1);
      await refused(archiveAs(red, blue), 'AUTH.TEAM', red, 1);
      expect((await createAs(open, blue)).data).toMatchObject({ outcome: 'accepted' });
      expect((await replaceAs(open, blue, { team: 'blue' })).data).toMatchObject({ version: 2 });
      await refused(replaceAs(open, as({ teams: ['green'] }), { team: null }), 'AUTH.TEAM', open, 2);
    });

    it('a role without zones:write is refused; a principal of another tenant is refused before anything', async () => {
      const zoneId = randomUUID();
      await refused(createAs(zoneId, as({ roles: ['viewer', 'dispatcher'] })), 'AUTH.FORBIDDEN_ROLE', zoneId, 0);
      await expect(createAs(zoneId, testPrincipal('other'))).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN_TENANT' });
      const anonymous = envelope(CreateZoneV2.type, { ...content, zoneId, kind: 'geofence' as const }, 'acme', '');
      await expect(createZone(store, settings, anonymous, now)).rejects.toMatchObject({
        code: 'AUTH.PRINCIPAL_UNKNOWN',
      });
      expect(await store.readStream(zoneStreamId(zoneId))).toEqual([]);
    });

    it("another tenant's zone is not found, whoever asks", async () => {
      const zoneId = randomUUID();
      await createAs(zoneId, admin, { sensitivity: 4, team: 'red' });
      const stranger = testPrincipal('other', { roles: ['operator'], clearance: 0, teams: ['blue'], region });
      const reply = await replaceZone(
        store,
        settings,
        envelope(ReplaceZoneV2.type, { ...content, zoneId }, 'other', stranger),
        now,
      );
      expect(reply.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    });

    it('decides on the state decided against: a change that lands meanwhile is judged after the retry', async () => {
      const zoneId = randomUUID();
      await createAs(zoneId, admin);
      // The operator's replacement loads the zone at sensitivity 0; before it appends, an admin
      // raises it to 3. The append conflicts, the command is decided again on the new state.
      let interleave: (() => Promise<unknown>) | null = () => replaceAs(zoneId, admin, { sensitivity: 3 });
      const loadStream = store.loadStream.bind(store);
      store.loadStream = async (streamId, stateVersion) => {
        const loaded = await loadStream(streamId, stateVersion);
        const once = interleave;
        interleave = null;
        await once?.();
        return loaded;
      };
      await refused(replaceAs(zoneId, as({ clearance: 1 }), { name: 'Renamed' }), 'AUTH.CLEARANCE', zoneId, 2);
      expect((await store.readStream(zoneStreamId(zoneId)))[1].data).toMatchObject({ sensitivity: 3 });
    });
  });

  describe('versions: v1 commands and events stored before zones had a team', () => {
    it('takes v1 commands as v2 without a team (a v1 replacement clears it)', async () => {
      const store = new InMemoryEventStore();
      const zoneId = randomUUID();
      const { team: _team, ...v1Content } = content;
      const created = await createZoneV1(
        store,
        settings,
        envelope(CreateZoneV1.type, { ...v1Content, zoneId, kind: 'geofence' as const }),
        now,
      );
      expect(created.data).toMatchObject({ outcome: 'accepted', version: 1 });
      await replaceZone(store, settings, envelope(ReplaceZoneV2.type, { ...content, team: 'red', zoneId }), now);
      await replaceZoneV1(store, settings, envelope(ReplaceZoneV1.type, { ...v1Content, zoneId }), now);
      const events = await store.readStream(zoneStreamId(zoneId));
      expect(events.map((e) => [e.type, (e.data as { team: unknown }).team])).toEqual([
        ['zone.created.v2', null],
        ['zone.replaced.v2', 'red'],
        ['zone.replaced.v2', null],
      ]);
    });

    it('loads stored v1 events through workflowUpcasters and publishes them as v2', async () => {
      const raw = new InMemoryEventStore();
      const zoneId = randomUUID();
      const { team: _team, ...v1Content } = content;
      const geometry = [...clockwise.coordinates[0]].reverse();
      const v1 = { ...v1Content, geometry: { type: 'Polygon', coordinates: [geometry] } };
      await raw.append(zoneStreamId(zoneId), 0, [
        {
          id: randomUUID(),
          type: 'zone.created.v1',
          data: { ...v1, zoneId, tenantId: 'acme', kind: 'geofence', createdAt: now.toISOString() },
          metadata: { tenantId: 'acme' },
        },
        {
          id: randomUUID(),
          type: 'zone.replaced.v1',
          data: { ...v1, name: 'Depot v1', zoneId, replacedAt: now.toISOString() },
          metadata: { tenantId: 'acme' },
        },
      ]);
      const store = raw.withUpcasters(workflowUpcasters);
      expect((await load(store, zoneDecider, zoneStreamId(zoneId))).state).toMatchObject({
        status: 'active',
        name: 'Depot v1',
        team: null,
      });
      for (const reader of [raw, store]) {
        const [created, replaced] = await reader.readStream(zoneStreamId(zoneId));
        expect(ZoneCreatedV2.schema.parse(toZoneIntegrationEvent(created)?.data)).toMatchObject({ team: null });
        const message = toZoneIntegrationEvent(replaced);
        expect(message?.type).toBe(ZoneReplacedV2.type);
        expect(ZoneReplacedV2.schema.parse(message?.data)).toMatchObject({ name: 'Depot v1', team: null, version: 2 });
      }
      // A team-restricted user may write the old, team-less zone; the same content again is a no-op.
      const blue = testPrincipal('acme', { roles: ['operator'], teams: ['blue'] });
      const same = await replaceZone(
        store,
        settings,
        envelope(ReplaceZoneV2.type, { ...content, name: 'Depot v1', zoneId }, 'acme', blue),
        now,
      );
      expect(same.data).toMatchObject({ outcome: 'accepted', version: 2 });
    });
  });

  it('agrees with the contracts: same kinds, every refusal declared with an HTTP status', () => {
    expect([...zoneKinds]).toEqual([...contractKinds]);
    for (const code of Object.values(ZoneRejections)) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});

describe('mission areas through the zone commands', () => {
  it('refuses to replace or archive a zone of kind mission_area (it changes with its mission)', async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    const checked = checkZoneGeometry(clockwise);
    if (!checked.ok) throw new Error(checked.detail);
    await handle(
      store,
      zoneDecider,
      zoneStreamId(zoneId),
      {
        type: 'CreateZone',
        data: {
          ...content,
          geometry: checked.geometry,
          zoneId,
          tenantId: 'acme',
          kind: 'mission_area',
          now: now.toISOString(),
          access: { allow: true },
        },
      },
      { commandId: randomUUID() },
    );
    const replaced = await replaceZone(store, settings, envelope(ReplaceZoneV2.type, { ...content, zoneId }), now);
    expect(replaced.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.KIND_RESERVED' });
    const archived = await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }), now);
    expect(archived.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.KIND_RESERVED' });
    // Another tenant still learns nothing: not found.
    const other = await archiveZone(store, envelope(ArchiveZoneV1.type, { zoneId }, 'other'), now);
    expect(other.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    expect(await store.readStream(zoneStreamId(zoneId))).toHaveLength(1);
  });
});
