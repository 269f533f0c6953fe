import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  AssetFeature,
  AssetRegisteredV1,
  AssetRegisteredV2,
  catalogue,
  RegisterAssetV1,
  RegisterAssetV2,
} from './index';

const assetId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de001';
const registration = { assetId, name: 'Drone 1', kind: 'drone' };
const registered = {
  ...registration,
  tenantId: 'acme',
  status: 'registered',
  version: 1,
  registeredAt: '2026-11-30T10:00:00.000Z',
};

describe('asset contracts: access attributes (v2)', () => {
  it('register.v2 takes sensitivity 0–4 and a team, and defaults them to 0 and none', () => {
    expect(RegisterAssetV2.schema.parse(registration)).toEqual({ ...registration, sensitivity: 0, team: null });
    expect(RegisterAssetV2.schema.parse({ ...registration, sensitivity: 4, team: 'ops.north-2' })).toMatchObject({
      sensitivity: 4,
      team: 'ops.north-2',
    });
    for (const bad of [
      { sensitivity: 5 },
      { sensitivity: -1 },
      { sensitivity: 1.5 },
      { team: 'Red Team' },
      { team: '' },
    ]) {
      expect(RegisterAssetV2.schema.safeParse({ ...registration, ...bad }).success).toBe(false);
    }
    expect(RegisterAssetV2.schema.safeParse({ ...registration, owner: 'x' }).success).toBe(false);
  });

  it('leaves v1 as it was: no access attributes, unknown fields refused', () => {
    expect(RegisterAssetV1.schema.parse(registration)).toEqual(registration);
    expect(RegisterAssetV1.schema.safeParse({ ...registration, sensitivity: 1 }).success).toBe(false);
    expect(AssetRegisteredV1.schema.safeParse({ ...registered, sensitivity: 0, team: null }).success).toBe(false);
  });

  it('registered.v2 always states both attributes (an event has no defaults)', () => {
    expect(AssetRegisteredV2.schema.parse({ ...registered, sensitivity: 2, team: null })).toMatchObject({
      sensitivity: 2,
      team: null,
    });
    expect(AssetRegisteredV2.schema.safeParse(registered).success).toBe(false);
    expect(AssetRegisteredV2.schema.safeParse({ ...registered, sensitivity: 2 }).success).toBe(false);
  });

  it('lists both versions in the catalogue (the AsyncAPI document), with the attributes in the schemas', () => {
    const types = catalogue.map((e) => e.contract.type);
    for (const c of [RegisterAssetV1, RegisterAssetV2, AssetRegisteredV1, AssetRegisteredV2]) {
      expect(types).toContain(c.type);
    }
    const event = z.toJSONSchema(AssetRegisteredV2.schema) as { properties: object; required: string[] };
    expect(event.required).toEqual(expect.arrayContaining(['sensitivity', 'team']));
    const command = z.toJSONSchema(RegisterAssetV2.schema, { io: 'input' }) as {
      properties: object;
      required: string[];
    };
    expect(Object.keys(command.properties)).toEqual(expect.arrayContaining(['sensitivity', 'team']));
    expect(command.required).not.toContain('sensitivity');
  });

  it('the GeoJSON representation carries sensitivity and team', () => {
    const feature = {
      type: 'Feature',
      id: assetId,
      geometry: null,
      properties: {
        name: 'x',
        kind: 'drone',
        status: 'registered',
        lastSeen: null,
        speed: null,
        heading: null,
        version: 1,
      },
    };
    expect(AssetFeature.safeParse(feature).success).toBe(false);
    const withAttributes = { ...feature, properties: { ...feature.properties, sensitivity: 1, team: 'red' } };
    expect(AssetFeature.parse(withAttributes).properties).toMatchObject({ sensitivity: 1, team: 'red' });
  });
});
