import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type Envelope, errorDefinition } from '@meridian/contracts/core';
import { ZoneArchivedV1, ZoneCreatedV1, zoneKinds as contractKinds, ZoneReplacedV1 } from '@meridian/contracts/zones';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { ZoneRejections, zoneKinds } from '@meridian/workflow/domain';
import { archiveZone } from './archive-zone/archive-zone.handler';
import { createZone } from './create-zone/create-zone.handler';
import { toZoneIntegrationEvent } from './publish-zone-events/zone-integration-events';
import { replaceZone } from './replace-zone/replace-zone.handler';

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
const content = { name: 'Depot', geometry: clockwise, validFrom: null, validTo: null, sensitivity: 1 };

const envelope = <D>(type: string, data: D, tenantId = 'acme'): Envelope<D> => ({
  id: randomUUID(),
  type,
  source: '/meridian/gateway',
  time: now.toISOString(),
  data,
  correlationId: 'corr-1',
  tenantId,
});
const create = (zoneId: string, geometry: unknown = clockwise) =>
  envelope(ZoneCreatedV1.type, { ...content, geometry, zoneId, kind: 'geofence' as const }) as Parameters<
    typeof createZone
  >[2];

describe('zone command handlers (in-memory event store)', () => {
  it('creates a zone with rewound geometry and publishes the whole content with the version', async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    const reply = await createZone(store, settings, create(zoneId), now);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: `zone-${zoneId}`, version: 1 });
    const [event] = await store.readStream(`zone-${zoneId}`);
    const message = toZoneIntegrationEvent(event);
    const data = ZoneCreatedV1.schema.parse(message?.data);
    expect(message).toMatchObject({ key: zoneId, type: ZoneCreatedV1.type });
    expect(data).toMatchObject({ zoneId, tenantId: 'acme', version: 1, kind: 'geofence', sensitivity: 1 });
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
      replaceZone(store, settings, envelope(ZoneReplacedV1.type, { ...content, name, zoneId, expectedVersion }), now);
    expect((await replace(1, 'North')).data).toMatchObject({ outcome: 'accepted', version: 2 });
    expect((await replace(1, 'South')).data).toMatchObject({
      outcome: 'rejected',
      code: 'REQUEST.PRECONDITION_FAILED',
    });
    expect((await replace(undefined, 'South')).data).toMatchObject({ outcome: 'accepted', version: 3 });
    const events = await store.readStream(`zone-${zoneId}`);
    expect(ZoneReplacedV1.schema.parse(toZoneIntegrationEvent(events[2])?.data)).toMatchObject({
      name: 'South',
      tenantId: 'acme',
      version: 3,
    });
  });

  it("archives once; another tenant's zone is not found", async () => {
    const store = new InMemoryEventStore();
    const zoneId = randomUUID();
    await createZone(store, settings, create(zoneId), now);
    const other = await archiveZone(store, envelope(ZoneArchivedV1.type, { zoneId }, 'other'), now);
    expect(other.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    // A version named by another tenant tells it nothing either: still not found, not 412.
    const guessed = await archiveZone(
      store,
      envelope(ZoneArchivedV1.type, { zoneId, expectedVersion: 5 }, 'other'),
      now,
    );
    expect(guessed.data).toMatchObject({ outcome: 'rejected', code: 'ZONE.NOT_FOUND' });
    const archived = await archiveZone(store, envelope(ZoneArchivedV1.type, { zoneId }), now);
    expect(archived.data).toMatchObject({ outcome: 'accepted', version: 2 });
    const again = await archiveZone(store, envelope(ZoneArchivedV1.type, { zoneId }), now);
    expect(again.data).toMatchObject({ outcome: 'accepted', version: 2 });
    const [, event] = await store.readStream(`zone-${zoneId}`);
    expect(ZoneArchivedV1.schema.parse(toZoneIntegrationEvent(event)?.data)).toMatchObject({ zoneId, version: 2 });
  });

  it('agrees with the contracts: same kinds, every refusal declared with an HTTP status', () => {
    expect([...zoneKinds]).toEqual([...contractKinds]);
    for (const code of Object.values(ZoneRejections)) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});
