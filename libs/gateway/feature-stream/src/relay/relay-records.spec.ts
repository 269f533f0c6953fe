import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type Envelope, ErrorCodes } from '@meridian/contracts/core';
import {
  MissionAssignmentChangedV1,
  type MissionArea,
  MissionCreatedV1,
  MissionTransitionedV1,
} from '@meridian/contracts/missions';
import { MissionAreas } from './mission-areas';
import { relayRecordOf } from './relay-records';

const TENANT = 'acme';
const AT = '2026-12-01T08:00:00Z';
const AREA: MissionArea = {
  type: 'Polygon',
  coordinates: [
    [
      [8.5, 47.35],
      [8.56, 47.35],
      [8.56, 47.4],
      [8.5, 47.4],
      [8.5, 47.35],
    ],
  ],
};

const envelope = (type: string, data: unknown, tenantId = TENANT): Envelope => ({
  id: randomUUID(),
  type,
  source: 'test',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
});

const summary = (missionId: string, version: number, state: string, done = false) => ({
  missionId,
  tenantId: TENANT,
  version,
  state,
  done,
  assetIds: [],
  transitions: [{ event: 'approve', permission: 'missions:approve', guards: ['notCreator'] }],
  actor: 'dispatcher-7',
  at: AT,
});

const created = (missionId: string) =>
  envelope(MissionCreatedV1.type, {
    ...summary(missionId, 1, 'draft'),
    title: 'Inspect the bridges',
    definition: { key: 'default', version: 1 },
    area: AREA,
    window: { start: AT, end: '2026-12-01T12:00:00Z' },
    priority: 3,
    deadline: '2026-12-01T08:15:00Z',
    createdBy: 'dispatcher-7',
  });

const transitioned = (missionId: string, version: number, from: string, to: string, done = false) =>
  envelope(MissionTransitionedV1.type, {
    ...summary(missionId, version, to, done),
    from,
    event: to,
    cause: 'user',
    reason: null,
  });

describe('relayRecordOf: mission events', () => {
  it('relays a created mission with its area, and its later events with the area it remembered', () => {
    const areas = new MissionAreas();
    const id = randomUUID();
    const first = relayRecordOf(created(id), areas);
    expect(first.positions).toEqual([]);
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({
      tenantId: TENANT,
      event: 'mission.created',
      data: { missionId: id, title: 'Inspect the bridges', area: AREA },
    });
    const next = relayRecordOf(transitioned(id, 2, 'draft', 'submitted'), areas);
    expect(next.events[0]).toMatchObject({
      tenantId: TENANT,
      event: 'mission.transitioned',
      data: { missionId: id, version: 2, from: 'draft', state: 'submitted', area: AREA },
    });
    const sagaId = randomUUID();
    const assignment = envelope(MissionAssignmentChangedV1.type, {
      missionId: id,
      tenantId: TENANT,
      version: 3,
      actor: 'dispatcher-7',
      at: AT,
      sagaId,
      outcome: 'requested',
      requestedAssetIds: [randomUUID()],
      reason: null,
    });
    expect(relayRecordOf(assignment, areas).events[0]).toMatchObject({
      event: 'mission.assignment-changed',
      data: { sagaId, outcome: 'requested', area: AREA },
    });
  });

  it('carries area null for a mission it did not see created, and forgets a mission once it is done', () => {
    const areas = new MissionAreas();
    expect(
      relayRecordOf(transitioned(randomUUID(), 4, 'approved', 'cancelled', true), areas).events[0]?.data,
    ).toMatchObject({
      area: null,
    });
    const id = randomUUID();
    relayRecordOf(created(id), areas);
    // The final event still has the area; afterwards the mission is forgotten.
    expect(relayRecordOf(transitioned(id, 2, 'draft', 'cancelled', true), areas).events[0]?.data['area']).toEqual(AREA);
    expect(areas.size).toBe(0);
  });

  it('keeps the areas of tenants apart', () => {
    const areas = new MissionAreas();
    const id = randomUUID();
    relayRecordOf(created(id), areas);
    const foreign = envelope(
      MissionTransitionedV1.type,
      {
        ...summary(id, 2, 'submitted'),
        tenantId: 'other',
        from: 'draft',
        event: 'submit',
        cause: 'user',
        reason: null,
      },
      'other',
    );
    expect(relayRecordOf(foreign, areas).events[0]).toMatchObject({ tenantId: 'other', data: { area: null } });
  });

  it('refuses a mission event that breaks its contract (CONTRACT.VIOLATION), learning nothing from it', () => {
    const areas = new MissionAreas();
    const broken = envelope(MissionCreatedV1.type, { missionId: randomUUID(), area: AREA });
    expect(() => relayRecordOf(broken, areas)).toThrow(expect.objectContaining({ code: ErrorCodes.contractViolation }));
    expect(areas.size).toBe(0);
  });
});
