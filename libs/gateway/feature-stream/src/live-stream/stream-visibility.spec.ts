import { describe, expect, it } from '@jest/globals';
import type { Polygon } from 'geojson';
import type { PolicyPrincipal } from '@meridian/shared/policy';
import type { StreamEvent } from '../stream-event';
import { permissionOf, resourceOf, streamVisibility } from './stream-visibility';

const NOON = new Date('2025-06-01T12:00:00Z');
const at = () => NOON;

const box = (minLon: number, minLat: number, maxLon: number, maxLat: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [minLon, minLat],
      [maxLon, minLat],
      [maxLon, maxLat],
      [minLon, maxLat],
      [minLon, minLat],
    ],
  ],
});

const viewer = (over: Partial<PolicyPrincipal> = {}): PolicyPrincipal => ({
  tenantId: 'acme',
  subject: 'u-1',
  roles: ['viewer'],
  clearance: 0,
  region: null,
  teams: null,
  hours: null,
  ...over,
});

const position = (lon: number, lat: number, extra: Record<string, unknown> = {}): StreamEvent => ({
  event: 'position',
  data: { assetId: '00000000-0000-4000-8000-000000000001', ts: '2025-06-01T12:00:00Z', lon, lat, ...extra },
});
const entered = (lon: number, lat: number): StreamEvent => ({ event: 'geofence.entered', data: { lon, lat } });

describe('streamVisibility (positions:read per event)', () => {
  it('shows a region-restricted principal only the events whose point lies in its region, edges included', () => {
    const visible = streamVisibility('acme', () => viewer({ region: box(10, 50, 11, 51) }), at);
    expect(visible(position(10.5, 50.5))).toBe(true);
    expect(visible(position(11, 51))).toBe(true); // the region's corner
    expect(visible(position(11.001, 50.5))).toBe(false);
    expect(visible(entered(10.2, 50.2))).toBe(true);
    expect(visible(entered(-10.2, 50.2))).toBe(false);
  });

  it('shows an unrestricted principal everything of its tenant, and nothing of another', () => {
    const everything = streamVisibility('acme', () => viewer(), at);
    expect(visible(everything, [position(170, -80), entered(0, 0)])).toEqual([true, true]);
    // A principal of another tenant on this tenant's stream (it never should be) sees nothing.
    const stranger = streamVisibility('acme', () => viewer({ tenantId: 'other' }), at);
    expect(visible(stranger, [position(0, 0), entered(0, 0)])).toEqual([false, false]);
    const restrictedStranger = streamVisibility(
      'acme',
      () => viewer({ tenantId: 'other', region: box(-1, -1, 1, 1) }),
      at,
    );
    expect(restrictedStranger(position(0, 0))).toBe(false);
  });

  it('shows nothing to roles without positions:read, nor to a platform administrator', () => {
    expect(streamVisibility('acme', () => viewer({ roles: [] }), at)(position(0, 0))).toBe(false);
    const platform = viewer({ tenantId: 'platform', roles: [], platformAdmin: true, clearance: 4 });
    expect(streamVisibility('platform', () => platform, at)(position(0, 0))).toBe(false);
  });

  it('reads the principal at every event: a revoked role, a narrowed region, a revocation apply at once', () => {
    let current: PolicyPrincipal | undefined = viewer();
    const visible = streamVisibility('acme', () => current, at);
    expect(visible(position(20, 20))).toBe(true);
    current = viewer({ region: box(0, 0, 1, 1) });
    expect(visible(position(20, 20))).toBe(false);
    expect(visible(position(0.5, 0.5))).toBe(true);
    current = viewer({ roles: [] });
    expect(visible(position(0.5, 0.5))).toBe(false);
    current = undefined; // the principal's snapshot went inactive
    expect(visible(position(0.5, 0.5))).toBe(false);
  });

  it('keeps to the hours window, at the time of each event', () => {
    let now = NOON;
    const nineToFive = viewer({ hours: { fromMinute: 9 * 60, toMinute: 17 * 60 } });
    const visible = streamVisibility(
      'acme',
      () => nineToFive,
      () => now,
    );
    expect(visible(position(0, 0))).toBe(true);
    now = new Date('2025-06-01T17:00:00Z');
    expect(visible(position(0, 0))).toBe(false);
  });

  it('applies clearance and team when an event carries the asset sensitivity and team', () => {
    const cleared1 = streamVisibility('acme', () => viewer({ clearance: 1, teams: ['red'] }), at);
    expect(cleared1(position(0, 0, { sensitivity: 1, team: 'red' }))).toBe(true);
    expect(cleared1(position(0, 0, { sensitivity: 2 }))).toBe(false);
    expect(cleared1(position(0, 0, { team: 'blue' }))).toBe(false);
    // What the relayed events carry today: neither, so sensitivity 0 and no team.
    expect(cleared1(position(0, 0))).toBe(true);
    expect(resourceOf('acme', position(3, 4))).toEqual({
      tenantId: 'acme',
      location: { type: 'Point', coordinates: [3, 4] },
      sensitivity: null,
      team: null,
    });
  });
});

describe('streamVisibility of mission events (missions:read, at the mission area)', () => {
  const mission = (area: Polygon | null): StreamEvent => ({
    event: 'mission.transitioned',
    data: { missionId: '00000000-0000-4000-8000-0000000000aa', area },
  });

  it('shows a region-restricted principal only the missions whose area meets its region, edges included', () => {
    const visible = streamVisibility('acme', () => viewer({ region: box(10, 50, 11, 51) }), at);
    expect(visible(mission(box(10.5, 50.5, 12, 52)))).toBe(true); // overlaps
    expect(visible(mission(box(9, 49, 12, 52)))).toBe(true); // covers the region
    expect(visible(mission(box(11, 51, 12, 52)))).toBe(true); // shares a corner
    expect(visible(mission(box(11.5, 50, 12, 51)))).toBe(false);
    // Its area unknown to the relay: not shown to anyone limited to a region…
    expect(visible(mission(null))).toBe(false);
    // …but to a principal without one, even with a clearance below 4 (missions have no sensitivity).
    expect(streamVisibility('acme', () => viewer({ clearance: 0 }), at)(mission(null))).toBe(true);
    expect(streamVisibility('acme', () => viewer({ clearance: 4 }), at)(mission(null))).toBe(true);
  });

  it('is decided on missions:read, in the tenant only', () => {
    expect(streamVisibility('acme', () => viewer({ roles: [] }), at)(mission(box(0, 0, 1, 1)))).toBe(false);
    expect(streamVisibility('acme', () => viewer({ tenantId: 'other' }), at)(mission(box(0, 0, 1, 1)))).toBe(false);
    expect(permissionOf(mission(null))).toBe('missions:read');
    expect(permissionOf(position(0, 0))).toBe('positions:read');
    expect(resourceOf('acme', mission(box(0, 0, 1, 1)))).toEqual({
      tenantId: 'acme',
      location: box(0, 0, 1, 1),
      sensitivity: null,
      team: null,
    });
  });
});

function visible(v: (e: StreamEvent) => boolean, events: StreamEvent[]): boolean[] {
  return events.map(v);
}
