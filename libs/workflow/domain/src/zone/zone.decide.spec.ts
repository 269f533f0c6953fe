import { describe, expect, it } from '@jest/globals';
import { deciderSpec, fold } from '@meridian/shared/decider';
import type { PolicyDenial } from '@meridian/shared/policy';
import { type AccessDecision, SYSTEM_ACCESS } from '../access/access';
import { workflowUpcasters } from '../upcasters';
import type { ZoneCommand, ZoneDefinition } from './zone.commands';
import { zoneDecider } from './zone.decide';
import type { ZoneEvent } from './zone.events';
import { ZoneRejections } from './zone.vocabulary';
import { squarePolygon } from '@meridian/shared/geometry';

const zoneId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de0a1';
const tenantId = 'acme';
const now = '2026-11-30T10:00:00.000Z';
const later = '2026-11-30T11:00:00.000Z';

const square = squarePolygon;

const definition: ZoneDefinition = {
  name: 'Depot',
  kind: 'geofence',
  geometry: square(8.5, 47.3, 0.1),
  validFrom: null,
  validTo: null,
  sensitivity: 0,
  team: null,
};
const { kind: _kind, ...replaceable } = definition;

const created: ZoneEvent = { type: 'zone.created.v2', data: { ...definition, zoneId, tenantId, createdAt: now } };
const create = (overrides: Partial<ZoneDefinition> = {}, access: AccessDecision = SYSTEM_ACCESS): ZoneCommand => ({
  type: 'CreateZone',
  data: { ...definition, ...overrides, zoneId, tenantId, now, access },
});
const replace = (
  overrides: Partial<typeof replaceable> = {},
  tenant = tenantId,
  access: AccessDecision = SYSTEM_ACCESS,
): ZoneCommand => ({
  type: 'ReplaceZone',
  data: { ...replaceable, ...overrides, zoneId, tenantId: tenant, now: later, access },
});
const replaced = (overrides: Partial<typeof replaceable>): ZoneEvent => ({
  type: 'zone.replaced.v2',
  data: { ...replaceable, ...overrides, zoneId, replacedAt: later },
});
const archive = (tenant = tenantId, access: AccessDecision = SYSTEM_ACCESS): ZoneCommand => ({
  type: 'ArchiveZone',
  data: { zoneId, tenantId: tenant, now: later, access },
});
const denied = (code: PolicyDenial, detail: string = code): AccessDecision => ({
  allow: false,
  code,
  detail,
});
const archived: ZoneEvent = { type: 'zone.archived.v1', data: { zoneId, archivedAt: later } };

const zone = deciderSpec(zoneDecider);

describe('zone decider', () => {
  it('creates a zone', () => {
    zone.given([]).when(create()).then([created]);
  });

  it('refuses to create a zone id that exists (in any tenant)', () => {
    zone.given([created]).when(create()).thenRejects(ZoneRejections.alreadyExists);
  });

  it('refuses a validity window that ends before it starts, or is not made of instants', () => {
    zone
      .given([])
      .when(create({ validFrom: '2026-12-01T00:00:00Z', validTo: '2026-11-01T00:00:00Z' }))
      .thenRejects(ZoneRejections.validityInvalid);
    zone
      .given([])
      .when(create({ validFrom: 'soon', validTo: null }))
      .thenRejects(ZoneRejections.validityInvalid);
    zone
      .given([created])
      .when(replace({ validFrom: '2026-12-01T00:00:00Z', validTo: '2026-12-01T00:00:00Z' }))
      .thenRejects(ZoneRejections.validityInvalid);
  });

  it('accepts an open-ended or bounded validity window', () => {
    const bounded = { validFrom: '2026-12-01T00:00:00Z', validTo: '2026-12-02T00:00:00Z' };
    zone
      .given([])
      .when(create(bounded))
      .then([{ type: 'zone.created.v2', data: { ...definition, ...bounded, zoneId, tenantId, createdAt: now } }]);
  });

  it('refuses a sensitivity outside 0–4 or not whole', () => {
    for (const sensitivity of [-1, 5, 1.5]) {
      zone.given([]).when(create({ sensitivity })).thenRejects(ZoneRejections.sensitivityInvalid);
    }
  });

  it('replaces geometry, name, validity and sensitivity; the same replacement again changes nothing', () => {
    const change = { name: 'Depot north', geometry: square(8.5, 47.4, 0.05), sensitivity: 2 };
    zone
      .given([created])
      .when(replace(change))
      .then([replaced(change)]);
    zone
      .given([created, replaced(change)])
      .when(replace(change))
      .then([]);
  });

  it('creates and replaces the owning team; a change of team alone is a replacement', () => {
    zone
      .given([])
      .when(create({ team: 'red', sensitivity: 2 }))
      .then([
        {
          type: 'zone.created.v2',
          data: { ...definition, team: 'red', sensitivity: 2, zoneId, tenantId, createdAt: now },
        },
      ]);
    zone
      .given([created])
      .when(replace({ team: 'blue' }))
      .then([replaced({ team: 'blue' })]);
  });

  it("refuses with the policy's code when the access decision denies, writing nothing", () => {
    zone
      .given([])
      .when(create({ sensitivity: 3 }, denied('AUTH.CLEARANCE', 'sensitivity 3 exceeds clearance 1')))
      .thenRejects('AUTH.CLEARANCE', 'exceeds clearance 1');
    zone
      .given([])
      .when(create({}, denied('AUTH.OUTSIDE_REGION')))
      .thenRejects('AUTH.OUTSIDE_REGION');
    zone
      .given([created])
      .when(replace({ team: 'red' }, tenantId, denied('AUTH.TEAM')))
      .thenRejects('AUTH.TEAM');
    zone
      .given([created])
      .when(archive(tenantId, denied('AUTH.CLEARANCE')))
      .thenRejects('AUTH.CLEARANCE');
    // Access comes before the zone's own rules: even a no-op replacement is refused.
    zone
      .given([created])
      .when(replace({}, tenantId, denied('AUTH.TEAM')))
      .thenRejects('AUTH.TEAM');
  });

  it("is not found, not forbidden, for another tenant's zone: a 403 would tell it exists", () => {
    zone
      .given([created])
      .when(replace({}, 'other', denied('AUTH.OUTSIDE_REGION')))
      .thenRejects(ZoneRejections.notFound);
    zone
      .given([created])
      .when(archive('other', denied('AUTH.CLEARANCE')))
      .thenRejects(ZoneRejections.notFound);
  });

  it('reads v1 events, upcast, as zones without a team', () => {
    const { team: _team, ...v1Definition } = definition;
    const v1Created = { ...v1Definition, zoneId, tenantId, createdAt: now, sensitivity: 2 };
    const { kind: _k, ...v1Replacement } = v1Definition;
    const v1Replaced = { ...v1Replacement, name: 'Depot east', zoneId, replacedAt: later };
    const history = [
      { type: 'zone.created.v1', data: workflowUpcasters['zone.created.v1@1'](v1Created).data },
      { type: 'zone.replaced.v1', data: workflowUpcasters['zone.replaced.v1@1'](v1Replaced).data },
    ] as ZoneEvent[];
    expect(fold(zoneDecider, zoneDecider.initialState, history)).toMatchObject({
      status: 'active',
      name: 'Depot east',
      sensitivity: 0,
      team: null,
    });
    expect(fold(zoneDecider, zoneDecider.initialState, history.slice(0, 1))).toMatchObject({
      sensitivity: 2,
      team: null,
    });
    // The same content, stated in v2 terms (no team), is recognised as a no-op.
    zone
      .given(history)
      .when(replace({ name: 'Depot east' }))
      .then([]);
  });

  it('does not find a zone that does not exist or belongs to another tenant', () => {
    zone.given([]).when(replace()).thenRejects(ZoneRejections.notFound);
    zone.given([created]).when(replace({}, 'other')).thenRejects(ZoneRejections.notFound);
    zone.given([created]).when(archive('other')).thenRejects(ZoneRejections.notFound);
    zone.given([]).when(archive()).thenRejects(ZoneRejections.notFound);
  });

  it('archives a zone once; archiving again changes nothing; an archived zone is not replaced', () => {
    zone.given([created]).when(archive()).then([archived]);
    zone.given([created, archived]).when(archive()).then([]);
    zone
      .given([created, archived])
      .when(replace({ name: 'Back' }))
      .thenRejects(ZoneRejections.archived);
  });
});
