import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '@meridian/gateway/util-http';
import type { Polygon } from 'geojson';
import type { MissionEventName, StreamEvent } from '../stream-event';
import { compareEntryIds, parseEntryId } from './event-id';
import { asked, matches, parseLastEventId, parseStreamQuery } from './stream-filter';

const problem = (f: () => unknown): ProblemException => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('no problem thrown');
};

const position = (lon: number, lat: number): StreamEvent => ({ event: 'position', data: { lon, lat } });
const entered = (lon: number, lat: number): StreamEvent => ({ event: 'geofence.entered', data: { lon, lat } });

describe('stream query', () => {
  it('defaults to every type everywhere', () => {
    const f = parseStreamQuery({});
    expect(f.bbox).toBeUndefined();
    expect([...f.types].sort()).toEqual(['geofence', 'mission', 'position']);
    expect([...parseStreamQuery({ types: 'mission' }).types]).toEqual(['mission']);
  });

  it('refuses unknown types, an empty list and bad bboxes with a 400 and a stable code', () => {
    expect(problem(() => parseStreamQuery({ types: 'position,weather' }))).toMatchObject({
      status: 400,
      code: 'REQUEST.INVALID',
    });
    expect(problem(() => parseStreamQuery({ types: '' })).code).toBe('REQUEST.INVALID');
    expect(problem(() => parseStreamQuery({ bbox: '1,2,3' })).code).toBe('QUERY.BBOX_INVALID');
    // Crossing the antimeridian (minLon > maxLon) is refused, not wrapped.
    expect(problem(() => parseStreamQuery({ bbox: '170,0,-170,10' })).code).toBe('QUERY.BBOX_INVALID');
  });

  it('refuses anything else in the URL, a token above all', () => {
    expect(problem(() => parseStreamQuery({ access_token: 'secret' })).code).toBe('REQUEST.INVALID');
  });

  it('takes Last-Event-ID only as a stream entry id', () => {
    expect(parseLastEventId(undefined)).toBeUndefined();
    expect(parseLastEventId('1718000000000-3')).toBe('1718000000000-3');
    expect(problem(() => parseLastEventId('abc')).code).toBe('REQUEST.INVALID');
    expect(problem(() => parseLastEventId('99999999999999999999999-0')).code).toBe('REQUEST.INVALID');
  });
});

describe('asked', () => {
  const f = parseStreamQuery({ bbox: '10,50,11,51' });
  it('keeps points in the bbox, edges included, and drops the rest', () => {
    expect(asked(f, position(10.5, 50.5))).toBe(true);
    expect(asked(f, position(10, 51))).toBe(true);
    expect(asked(f, position(11.01, 50.5))).toBe(false);
    expect(asked(f, entered(10.5, 49.99))).toBe(false);
    expect(asked(f, entered(10.5, 50.1))).toBe(true);
  });

  it('keeps only the asked types', () => {
    const geofenceOnly = parseStreamQuery({ types: 'geofence' });
    expect(asked(geofenceOnly, position(0, 0))).toBe(false);
    expect(asked(geofenceOnly, { event: 'geofence.exited', data: { lon: 0, lat: 0 } })).toBe(true);
  });
});

describe('asked: mission events', () => {
  const square = (minLon: number, minLat: number, maxLon: number, maxLat: number): Polygon => ({
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
  /** A triangle whose extent overlaps the box 10,50,11,51 but whose surface stays outside it. */
  const corner: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [10.9, 51.2],
        [11.2, 50.9],
        [11.2, 51.2],
        [10.9, 51.2],
      ],
    ],
  };
  const mission = (area: Polygon | null, event: MissionEventName = 'mission.transitioned'): StreamEvent => ({
    event,
    data: { missionId: '00000000-0000-4000-8000-000000000001', area },
  });
  const f = parseStreamQuery({ bbox: '10,50,11,51' });

  it('keeps a mission whose area meets the bbox (edges included), drops one that does not', () => {
    expect(asked(f, mission(square(10.2, 50.2, 10.4, 50.4)))).toBe(true); // inside
    expect(asked(f, mission(square(9, 49, 12, 52), 'mission.created'))).toBe(true); // around it
    expect(asked(f, mission(square(11, 50.5, 12, 50.6)))).toBe(true); // touches the east edge
    expect(asked(f, mission(square(11.01, 50.5, 12, 50.6)))).toBe(false); // east of it
    expect(asked(f, mission(corner))).toBe(false); // only the extents overlap
  });

  it('keeps a mission whose area is unknown (it cannot be placed), and only when missions are asked for', () => {
    expect(asked(f, mission(null))).toBe(true);
    expect(asked(parseStreamQuery({ types: 'position,geofence' }), mission(square(10.2, 50.2, 10.4, 50.4)))).toBe(
      false,
    );
    expect(asked(parseStreamQuery({ types: 'mission' }), position(10.5, 50.5))).toBe(false);
  });
});

describe('matches', () => {
  it('is what was asked for and what the principal may see, both', () => {
    const seen: StreamEvent[] = [];
    const west = (e: StreamEvent) => (seen.push(e), Number(e.data['lon']) < 10.5);
    const f = { ...parseStreamQuery({ bbox: '10,50,11,51' }), visible: west };
    expect(matches(f, position(10.2, 50.5))).toBe(true);
    expect(matches(f, position(10.7, 50.5))).toBe(false); // asked for, not visible
    expect(matches(f, position(9, 50.5))).toBe(false); // visible, not asked for
    // The policy is consulted only for what was asked for: the bbox test is the cheap one.
    expect(seen.map((e) => e.data['lon'])).toEqual([10.2, 10.7]);
  });
});

describe('entry ids', () => {
  it('orders by time then sequence, numerically', () => {
    expect(compareEntryIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareEntryIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareEntryIds('10-2', '10-2')).toBe(0);
    expect(parseEntryId('1-x')).toBeNull();
  });
});
