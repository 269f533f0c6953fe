import { describe, expect, it } from '@jest/globals';
import { type Principal, requirePrincipal } from '@meridian/contracts/identity';
import { Mission, type MissionTransition } from '@meridian/contracts/missions';
import { readScope } from '@meridian/read-model/assets';
import type { MissionView } from '@meridian/read-model/missions';
import { testPrincipal } from '@meridian/shared/testing';
import { allowedEvents, missionFor } from './allowed-events';

const TENANT = 'ae-tenant';
const now = new Date('2026-12-01T10:00:00Z');
const square = (lon: number, lat: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon, lat],
      [lon + 1, lat],
      [lon + 1, lat + 1],
      [lon, lat + 1],
      [lon, lat],
    ] as [number, number][],
  ],
});

/** The `submitted` state of the default definition, and one event only timers send (no permission). */
const submitted: MissionTransition[] = [
  { event: 'approve', permission: 'missions:approve', guards: ['notCreator'] },
  { event: 'reject', permission: 'missions:approve', guards: ['notCreator'] },
  { event: 'cancel', permission: 'missions:write', guards: [] },
  { event: 'expire', permission: null, guards: [] },
];

const mission = (overrides: Partial<MissionView> = {}): MissionView => ({
  id: '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de0a1',
  tenantId: TENANT,
  title: 'Survey',
  state: 'submitted',
  done: false,
  version: 2,
  definition: { key: 'default', version: 1 },
  priority: 3,
  area: square(8, 47),
  window: { start: '2026-12-01T12:00:00.000Z', end: '2026-12-01T14:00:00.000Z' },
  deadline: '2026-12-01T12:15:00.000Z',
  assetIds: [],
  assignment: null,
  transitions: submitted,
  createdBy: 'alice',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:30:00.000Z',
  ...overrides,
});

const as = (overrides: Partial<Principal>) =>
  readScope(requirePrincipal({ tenantId: TENANT, principal: testPrincipal(TENANT, overrides) }), now);

describe('allowedEvents (what the caller may send a mission now)', () => {
  it('an approver who did not create the mission may approve and reject it; one who did may not', () => {
    expect(allowedEvents(mission(), as({ roles: ['approver'], subject: 'bob' }))).toEqual(['approve', 'reject']);
    expect(allowedEvents(mission({ createdBy: 'bob' }), as({ roles: ['approver'], subject: 'bob' }))).toEqual([]);
  });

  it('a dispatcher (missions:write) may cancel; a viewer may send nothing; an admin creator may only cancel', () => {
    expect(allowedEvents(mission(), as({ roles: ['dispatcher'], subject: 'carol' }))).toEqual(['cancel']);
    expect(allowedEvents(mission(), as({ roles: ['viewer'], subject: 'vic' }))).toEqual([]);
    expect(allowedEvents(mission(), as({ roles: ['admin'], subject: 'alice' }))).toEqual(['cancel']);
  });

  it('isCreator passes only for the creator; guards the read side cannot judge pass', () => {
    const draft = mission({
      state: 'draft',
      transitions: [
        { event: 'submit', permission: 'missions:write', guards: ['isCreator'] },
        { event: 'assign', permission: 'missions:dispatch', guards: ['hasAssets', 'withinWindow'] },
      ],
    });
    expect(allowedEvents(draft, as({ roles: ['dispatcher'], subject: 'alice' }))).toEqual(['submit', 'assign']);
    expect(allowedEvents(draft, as({ roles: ['dispatcher'], subject: 'dave' }))).toEqual(['assign']);
  });

  it('names an event once when several of its transitions are allowed, and none of a done mission', () => {
    const twice = mission({
      transitions: [
        { event: 'cancel', permission: 'missions:write', guards: ['isCreator'] },
        { event: 'cancel', permission: 'missions:approve', guards: [] },
      ],
    });
    expect(allowedEvents(twice, as({ roles: ['admin'], subject: 'alice' }))).toEqual(['cancel']);
    const done = mission({ state: 'completed', done: true });
    expect(allowedEvents(done, as({ roles: ['admin'], subject: 'bob' }))).toEqual([]);
  });

  it('decides on the mission as a resource: region, hours and an unknown permission refuse', () => {
    const approver = { roles: ['approver' as const], subject: 'bob' };
    expect(allowedEvents(mission(), as({ ...approver, region: square(8.5, 47.5) }))).toEqual(['approve', 'reject']);
    expect(allowedEvents(mission(), as({ ...approver, region: square(20, 50) }))).toEqual([]);
    expect(allowedEvents(mission(), as({ ...approver, hours: { fromMinute: 0, toMinute: 60 } }))).toEqual([]);
    const unknown = mission({ transitions: [{ event: 'launch', permission: 'missions:launch', guards: [] }] });
    expect(allowedEvents(unknown, as({ roles: ['admin'] }))).toEqual([]);
  });

  it('missionFor answers the Mission contract: no tenant or transitions, the allowed events', () => {
    const answered = missionFor(mission(), as({ roles: ['approver'], subject: 'bob' }));
    expect(Mission.strict().parse(answered)).toEqual(answered);
    expect(answered.allowedEvents).toEqual(['approve', 'reject']);
  });
});
