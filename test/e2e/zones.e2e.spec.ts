import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Topics } from '@meridian/contracts/core';
import { MessageBus } from '@meridian/shared/messaging';
import { silentLog } from '@meridian/shared/util';
import { consumeAll } from '@meridian/shared/testing';
import { brokers, type E2eSystem, eventually, http, startSystem } from './e2e-stack';
import { squarePolygon } from '@meridian/shared/geometry';

/*
 * Zones and live geofencing through HTTP: create a zone, stream a track through it, read the stays
 * back, see the enter/exit events on meridian.projection.events; then the zone's own life
 * (If-Match, archive, the exit it causes) and the refusals.
 */

const tenant = `e2e-z-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

const square = squarePolygon;

interface Visit {
  zoneId: string;
  assetId: string;
  enteredAt: string;
  exitedAt: string | null;
}
interface Problem {
  code: string;
  status: number;
  detail: string;
}

beforeAll(async () => {
  system = await startSystem([tenant]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('zones and geofencing through the gateway', () => {
  let zoneId = '';
  let assetId = '';
  const base = Date.now() - 10 * 60 * 1000;
  const at = (s: number): string => new Date(base + s * 1000).toISOString();

  it('creates a zone (201 {id, version}) and reads it back as a GeoJSON Feature with an ETag', async () => {
    const created = await http<{ id: string; version: number }>('POST', '/v1/zones', {
      tenant,
      body: { name: 'Depot', kind: 'geofence', geometry: square(8.5, 47.3, 0.1), sensitivity: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe(1);
    zoneId = created.body.id;
    const read = await eventually(
      () =>
        http<{ properties: { name: string; version: number; archivedAt: null } }>('GET', `/v1/zones/${zoneId}`, {
          tenant,
        }),
      (r) => r.status === 200,
    );
    expect(read.contentType).toContain('application/geo+json');
    expect(read.body.properties).toMatchObject({ name: 'Depot', version: 1, sensitivity: 2, archivedAt: null });
  });

  it('refuses bad geometry with 400 ZONE.GEOMETRY_INVALID saying where, and a stale If-Match with 412', async () => {
    const bowTie = {
      type: 'Polygon',
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
    const bad = await http<Problem>('POST', '/v1/zones', {
      tenant,
      body: { name: 'Bow', kind: 'restricted', geometry: bowTie },
    });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    expect(bad.body.code).toBe('ZONE.GEOMETRY_INVALID');
    expect(bad.body.detail).toMatch(/self-intersection near 8\.55 47\.35/);
    const point = await http<Problem>('POST', '/v1/zones', {
      tenant,
      body: { name: 'Dot', kind: 'geofence', geometry: { type: 'Point', coordinates: [8, 47] } },
    });
    expect([point.status, point.body.code]).toEqual([400, 'ZONE.GEOMETRY_INVALID']);
    const stale = await http<Problem>('PUT', `/v1/zones/${zoneId}`, {
      tenant,
      headers: { 'if-match': '"7"' },
      body: { name: 'Depot', geometry: square(8.5, 47.3, 0.1), sensitivity: 2 },
    });
    expect([stale.status, stale.body.code]).toEqual([412, 'REQUEST.PRECONDITION_FAILED']);
  });

  it('streams a track through the zone: one stay with entry and exit, and one enter then one exit event', async () => {
    const asset = await http<{ id: string }>('POST', '/v1/assets', { tenant, body: { name: 'Drone', kind: 'drone' } });
    assetId = asset.body.id;
    // West of the zone, through it, east of it; then a late fix inside and a repeated one.
    const track = [8.4, 8.45, 8.52, 8.55, 8.58, 8.65, 8.7].map((lon, i) => ({
      assetId,
      ts: at(i * 10),
      lon,
      lat: 47.35,
    }));
    const sent = await http<{ accepted: number }>('POST', '/v1/telemetry', { tenant, body: { fixes: track } });
    expect(sent.body.accepted).toBe(7);
    await http('POST', '/v1/telemetry', {
      tenant,
      body: { fixes: [{ assetId, ts: at(15), lon: 8.55, lat: 47.35 }, track[6]] },
    });
    const visits = await eventually(
      () => http<{ visits: Visit[] }>('GET', `/v1/zones/${zoneId}/visits`, { tenant }),
      (r) => r.body.visits?.[0]?.exitedAt != null,
    );
    expect(visits.body.visits).toEqual([{ zoneId, assetId, enteredAt: at(20), exitedAt: at(50) }]);
    const mine = await http<{ visits: Visit[] }>('GET', `/v1/assets/${assetId}/visits?from=${at(0)}&to=${at(100)}`, {
      tenant,
    });
    expect(mine.body.visits).toHaveLength(1);
    const bus = new MessageBus({ brokers, clientId: 'e2e-zones-reader', log: silentLog });
    try {
      // The relay publishes shortly after the stays commit: read until both transitions are there.
      const events = await eventually(
        async () => {
          const ends = await bus.endOffsets(Topics.projectionEvents);
          const total = [...ends.values()].reduce((a, b) => a + Number(b), 0);
          return (await consumeAll(bus, Topics.projectionEvents, total))
            .map((m) => m.envelope)
            .filter((e) => (e?.data as { assetId?: string } | undefined)?.assetId === assetId);
        },
        (found) => found.length >= 2,
        30_000,
      );
      expect(events.map((e) => [e?.type, (e?.data as { ts: string }).ts])).toEqual([
        ['meridian.projection.geofence.entered.v1', at(20)],
        ['meridian.projection.geofence.exited.v1', at(50)],
      ]);
      expect(events[0]?.tenantId).toBe(tenant);
    } finally {
      await bus.close();
    }
  });

  it('archiving a zone with an asset inside closes its stay; it reads with archivedAt; lists omit it', async () => {
    await http('POST', '/v1/telemetry', { tenant, body: { fixes: [{ assetId, ts: at(70), lon: 8.55, lat: 47.35 }] } });
    const inside = await eventually(
      () => http<{ assets: { assetId: string }[] }>('GET', `/v1/zones/${zoneId}/assets`, { tenant }),
      (r) => r.body.assets?.length === 1,
    );
    expect(inside.body.assets.map((a) => a.assetId)).toEqual([assetId]);
    const current = await http<{ properties: { version: number } }>('GET', `/v1/zones/${zoneId}`, { tenant });
    const archived = await http('DELETE', `/v1/zones/${zoneId}`, {
      tenant,
      headers: { 'if-match': `"${current.body.properties.version}"` },
    });
    expect(archived.status).toBe(204);
    const visits = await eventually(
      () => http<{ visits: Visit[] }>('GET', `/v1/zones/${zoneId}/visits`, { tenant }),
      (r) => r.body.visits?.length === 2 && r.body.visits[1].exitedAt !== null,
    );
    expect(visits.body.visits[1]).toMatchObject({ assetId, enteredAt: at(70) });
    const read = await http<{ properties: { archivedAt: string | null } }>('GET', `/v1/zones/${zoneId}`, { tenant });
    expect(read.body.properties.archivedAt).not.toBeNull();
    const list = await http<{ features: { id: string }[] }>('GET', '/v1/zones?bbox=8,47,9,48', { tenant });
    expect(list.body.features.map((f) => f.id)).not.toContain(zoneId);
    expect((await http('DELETE', `/v1/zones/${zoneId}`, { tenant })).status).toBe(204);
  });
});
