import { describe, expect, it } from '@jest/globals';
import {
  catalogue,
  CreateZoneV1,
  CreateZoneV2,
  ReplaceZoneV1,
  ReplaceZoneV2,
  ZoneCreatedV1,
  ZoneCreatedV2,
  ZoneFeature,
  ZoneReplacedV2,
} from './index';

const zoneId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de0a1';
const geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [8.5, 47.3],
      [8.6, 47.3],
      [8.6, 47.4],
      [8.5, 47.3],
    ],
  ],
};
const content = { name: 'Depot', geometry, validFrom: null, validTo: null };
const at = '2026-11-30T10:00:00.000Z';

describe('zone contracts: the owning team (v2)', () => {
  it('create.v2 and replace.v2 take sensitivity and team, defaulting to 0 and none', () => {
    expect(CreateZoneV2.schema.parse({ ...content, zoneId, kind: 'restricted' })).toMatchObject({
      sensitivity: 0,
      team: null,
    });
    expect(ReplaceZoneV2.schema.parse({ ...content, zoneId, sensitivity: 3, team: 'red' })).toMatchObject({
      sensitivity: 3,
      team: 'red',
    });
    expect(CreateZoneV2.schema.safeParse({ ...content, zoneId, kind: 'geofence', team: 'RED' }).success).toBe(false);
    expect(ReplaceZoneV2.schema.safeParse({ ...content, zoneId, sensitivity: 5 }).success).toBe(false);
  });

  it('leaves v1 as it was: sensitivity required, no team', () => {
    expect(CreateZoneV1.schema.safeParse({ ...content, zoneId, kind: 'geofence' }).success).toBe(false);
    expect(CreateZoneV1.schema.safeParse({ ...content, zoneId, kind: 'geofence', sensitivity: 0 }).success).toBe(true);
    expect(ReplaceZoneV1.schema.safeParse({ ...content, zoneId, sensitivity: 0, team: null }).success).toBe(false);
  });

  it('created.v2 and replaced.v2 state the team; v1 events refuse it', () => {
    const created = {
      ...content,
      sensitivity: 1,
      zoneId,
      tenantId: 'acme',
      version: 1,
      kind: 'geofence',
      createdAt: at,
    };
    expect(ZoneCreatedV2.schema.safeParse(created).success).toBe(false);
    expect(ZoneCreatedV2.schema.parse({ ...created, team: 'red' })).toMatchObject({ team: 'red' });
    expect(ZoneCreatedV1.schema.safeParse({ ...created, team: null }).success).toBe(false);
    const { kind: _kind, createdAt: _createdAt, ...replaced } = created;
    expect(ZoneReplacedV2.schema.parse({ ...replaced, team: null, replacedAt: at })).toMatchObject({ team: null });
  });

  it('lists both versions in the catalogue', () => {
    const types = catalogue.map((e) => e.contract.type);
    for (const c of [CreateZoneV1, CreateZoneV2, ReplaceZoneV1, ReplaceZoneV2, ZoneCreatedV1, ZoneCreatedV2]) {
      expect(types).toContain(c.type);
    }
  });

  it('the GeoJSON representation carries the team beside the sensitivity', () => {
    const properties = {
      name: 'Depot',
      kind: 'geofence',
      validFrom: null,
      validTo: null,
      sensitivity: 2,
      version: 1,
      createdAt: at,
      updatedAt: at,
      archivedAt: null,
    };
    const feature = { type: 'Feature', id: zoneId, geometry, properties };
    expect(ZoneFeature.safeParse(feature).success).toBe(false);
    expect(ZoneFeature.parse({ ...feature, properties: { ...properties, team: 'red' } }).properties.team).toBe('red');
  });
});
