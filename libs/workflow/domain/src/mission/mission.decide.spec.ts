import { describe, expect, it } from '@jest/globals';
import { deciderSpec, fold } from '@meridian/shared/decider';
import { type AccessDecision, SYSTEM_ACCESS } from '../access/access';
import { DEFAULT_MACHINE } from '../definition/default-definition';
import type { DefinitionVersion } from '../definition/definition.types';
import { MissionRejections } from '../definition/definition.vocabulary';
import type { MissionCommand } from './mission.commands';
import { missionDecider, missionTransitions, SYSTEM_ACTORS } from './mission.decide';
import type { MissionEvent } from './mission.events';
import type { ActiveMission } from './mission.state';

const missionId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0d0001';
const tenantId = 'acme';
const creator = 'dispatcher-1';
const approver = 'approver-1';
const assetA = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0da001';
const assetB = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0da002';
const T0 = '2026-12-01T08:00:00.000Z';
const window = { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T12:00:00.000Z' };
const DEADLINE = '2026-12-01T10:15:00.000Z';
const area = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [8.5, 47.3],
      [8.6, 47.3],
      [8.6, 47.4],
      [8.5, 47.3],
    ],
  ],
};
const definition: DefinitionVersion = {
  key: 'default',
  version: 1,
  machine: DEFAULT_MACHINE,
  deadlineTolerance: 'PT15M',
};
const mission = deciderSpec(missionDecider);

const create: MissionCommand = {
  type: 'CreateMission',
  data: {
    missionId,
    tenantId,
    title: 'Survey',
    definition,
    area,
    window,
    priority: 3,
    actor: creator,
    now: T0,
    access: SYSTEM_ACCESS,
  },
};
let n = 0;
const send = (
  event: string,
  actor: string,
  extra: {
    assetIds?: string[];
    access?: AccessDecision;
    tenant?: string;
    now?: string;
    visible?: boolean;
    expectedVersion?: number;
  } = {},
): MissionCommand => ({
  type: 'SendMissionEvent',
  data: {
    missionId,
    tenantId: extra.tenant ?? tenantId,
    event,
    assetIds: extra.assetIds ?? [],
    reason: null,
    actor,
    now: extra.now ?? T0,
    commandId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    access: extra.access ?? SYSTEM_ACCESS,
    visible: extra.visible ?? true,
    expectedVersion: extra.expectedVersion ?? null,
  },
});

/** Runs commands in order, each accepted, and returns every event. */
function history(...commands: MissionCommand[]): MissionEvent[] {
  const events: MissionEvent[] = [];
  for (const command of commands) {
    const state = fold(missionDecider, missionDecider.initialState, events);
    const decision = missionDecider.decide(command, state);
    if (!decision.ok) throw new Error(`${command.type}: ${decision.code} ${decision.detail}`);
    events.push(...decision.events);
  }
  return events;
}
const stateOf = (events: MissionEvent[]) => fold(missionDecider, missionDecider.initialState, events) as ActiveMission;
const sagaOf = (events: MissionEvent[]): string => {
  const requested = events.find((e) => e.type === 'mission.assignment-requested.v1');
  if (requested?.type !== 'mission.assignment-requested.v1') throw new Error('no assignment');
  return requested.data.sagaId;
};
const complete = (sagaId: string): MissionCommand => ({
  type: 'CompleteAssignment',
  data: { missionId, sagaId, now: T0, commandId: '00000000-0000-4000-8000-00000000c0de' },
});
const presence = (assetId: string, entered: boolean, commandId = 'c1'): MissionCommand => ({
  type: 'RecordAreaPresence',
  data: { missionId, tenantId, assetId, entered, ts: T0, now: T0, commandId },
});

const drafted = () => history(create);
const submitted = () => history(create, send('submit', creator));
const approved = () => history(create, send('submit', creator), send('approve', approver));
const requested = () =>
  history(
    create,
    send('submit', creator),
    send('approve', approver),
    send('assign', creator, { assetIds: [assetB, assetA] }),
  );
const assigned = () => {
  const events = requested();
  return [...events, ...decide(events, complete(sagaOf(events)))];
};
function decide(given: MissionEvent[], command: MissionCommand): MissionEvent[] {
  const decision = missionDecider.decide(command, stateOf(given));
  if (!decision.ok) throw new Error(`${decision.code} ${decision.detail}`);
  return [...decision.events];
}
const types = (events: readonly MissionEvent[]) => events.map((e) => e.type);

describe('mission decider, default definition', () => {
  it('creates a draft and arms no timer (the deadline runs from approval)', () => {
    const events = drafted();
    expect(types(events)).toEqual(['mission.created.v1']);
    expect(events[0].data).toMatchObject({ state: 'draft', done: false, deadline: DEADLINE, createdBy: creator });
  });

  it('refuses a window that ends before it starts, and a second creation', () => {
    const bad = {
      ...create,
      data: { ...create.data, window: { start: window.end, end: window.start } },
    } as MissionCommand;
    mission.given([]).when(bad).thenRejects(MissionRejections.windowInvalid);
    mission.given(drafted()).when(create).thenRejects(MissionRejections.alreadyExists);
  });

  it('refuses with the policy code when access is denied', () => {
    const denied: AccessDecision = { allow: false, code: 'AUTH.FORBIDDEN_ROLE', detail: 'viewer' };
    mission
      .given([])
      .when({ ...create, data: { ...create.data, access: denied } } as MissionCommand)
      .thenRejects('AUTH.FORBIDDEN_ROLE');
    mission
      .given(drafted())
      .when(send('submit', creator, { access: denied }))
      .thenRejects('AUTH.FORBIDDEN_ROLE');
  });

  it('a mission the principal may not read (outside its region) is not found, whatever else is asked', () => {
    mission
      .given(drafted())
      .when(send('submit', creator, { visible: false }))
      .thenRejects(MissionRejections.notFound);
  });

  it('If-Match names the public version: internal events (timers, presence) do not make it stale', () => {
    const events = approved(); // created 1, submitted 2, approved 3, timer-scheduled 4
    expect(stateOf(events)).toMatchObject({ seq: 4, publicVersion: 3 });
    mission
      .given(events)
      .when(send('cancel', creator, { expectedVersion: 3 }))
      .then(decide(events, send('cancel', creator)));
    mission
      .given(events)
      .when(send('cancel', creator, { expectedVersion: 2 }))
      .thenRejects('REQUEST.PRECONDITION_FAILED', /version 3, not 2/);
  });

  it('hides missions of other tenants and unknown missions', () => {
    mission.given([]).when(send('submit', creator)).thenRejects(MissionRejections.notFound);
    mission
      .given(drafted())
      .when(send('submit', creator, { tenant: 'other' }))
      .thenRejects(MissionRejections.notFound);
  });

  it('submits a draft', () => {
    const events = decide(drafted(), send('submit', creator));
    expect(events).toEqual([
      {
        type: 'mission.transitioned.v1',
        data: expect.objectContaining({
          from: 'draft',
          to: 'submitted',
          event: 'submit',
          actor: creator,
          cause: 'user',
        }),
      },
    ]);
  });

  it('separation of duties: the creator may not approve or reject; someone else may', () => {
    mission.given(submitted()).when(send('approve', creator)).thenRejects(MissionRejections.separationOfDuties);
    mission.given(submitted()).when(send('reject', creator)).thenRejects(MissionRejections.separationOfDuties);
    expect(types(decide(submitted(), send('reject', approver)))).toEqual(['mission.transitioned.v1']);
  });

  it('approval arms the deadline timer at window.start + tolerance', () => {
    const events = decide(submitted(), send('approve', approver));
    expect(types(events)).toEqual(['mission.transitioned.v1', 'mission.timer-scheduled.v1']);
    expect(events[1].data).toMatchObject({
      tenantId,
      dueAt: DEADLINE,
      event: 'xstate.after.deadline.mission.approved',
    });
  });

  it('refuses an event the state does not take, and one the definition does not know', () => {
    mission.given(drafted()).when(send('approve', approver)).thenRejects(MissionRejections.eventNotAllowed, /draft/);
    mission.given(drafted()).when(send('teleport', creator)).thenRejects(MissionRejections.eventUnknown);
  });

  it('assign without assets fails the hasAssets guard', () => {
    mission
      .given(approved())
      .when(send('assign', creator))
      .thenRejects(MissionRejections.guardFailed, /hasAssets/);
  });

  it('assign starts a saga and stays approved until it completes; a second assign waits', () => {
    const events = requested();
    const state = stateOf(events);
    expect(state.value).toBe('approved');
    expect(state.pending?.assetIds).toEqual([assetA, assetB].sort());
    mission
      .given(events)
      .when(send('assign', creator, { assetIds: [assetA] }))
      .thenRejects(MissionRejections.assignmentPending);
  });

  it('a completed saga assigns: the approved deadline is cancelled and re-armed in assigned', () => {
    const events = requested();
    const done = decide(events, complete(sagaOf(events)));
    expect(types(done)).toEqual([
      'mission.transitioned.v1',
      'mission.timer-cancelled.v1',
      'mission.timer-scheduled.v1',
    ]);
    expect(done[0].data).toMatchObject({ from: 'approved', to: 'assigned', actor: SYSTEM_ACTORS.saga, cause: 'saga' });
    expect(stateOf([...events, ...done]).assetIds).toEqual([assetA, assetB]);
  });

  it('a failed saga leaves the mission approved with the reason, and another assign may start', () => {
    const events = requested();
    const failed = decide(events, {
      type: 'FailAssignment',
      data: { missionId, sagaId: sagaOf(events), reason: 'taken', now: T0 },
    });
    expect(failed).toEqual([
      { type: 'mission.assignment-failed.v1', data: expect.objectContaining({ reason: 'taken' }) },
    ]);
    const after = [...events, ...failed];
    expect(stateOf(after).value).toBe('approved');
    expect(types(decide(after, send('assign', creator, { assetIds: [assetA] })))).toEqual([
      'mission.assignment-requested.v1',
    ]);
  });

  it('a saga that completes after the mission was cancelled is refused (it compensates)', () => {
    const events = requested();
    const cancelled = [...events, ...decide(events, send('cancel', creator))];
    mission
      .given(cancelled)
      .when(complete(sagaOf(events)))
      .thenRejects(MissionRejections.eventNotAllowed);
  });

  it('an assigned asset entering the area moves it on site once; redelivery or a 2nd entry does nothing', () => {
    const events = assigned();
    const entered = decide(events, presence(assetA, true));
    expect(types(entered)).toEqual([
      'mission.asset-entered-area.v1',
      'mission.transitioned.v1',
      'mission.timer-cancelled.v1',
    ]);
    expect(entered[1].data).toMatchObject({
      from: 'assigned',
      to: 'on_site',
      cause: 'geofence',
      actor: SYSTEM_ACTORS.geofence,
    });
    const after = [...events, ...entered];
    mission.given(after).when(presence(assetA, true)).then([]);
    expect(types(decide(after, presence(assetB, true)))).toEqual(['mission.asset-entered-area.v1']);
  });

  it('an asset that is not assigned only records presence', () => {
    const other = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0da0ff';
    expect(types(decide(assigned(), presence(other, true)))).toEqual(['mission.asset-entered-area.v1']);
  });

  it('en_route → on_site by geofence as well', () => {
    const events = assigned();
    const departed = [...events, ...decide(events, send('depart', creator))];
    expect(stateOf(departed).value).toBe('en_route');
    const entered = decide(departed, presence(assetB, true));
    expect(entered[1].data).toMatchObject({ from: 'en_route', to: 'on_site' });
  });

  it('an asset already inside when the mission is assigned counts as arrived', () => {
    const events = requested();
    const inside = [...events, ...decide(events, presence(assetA, true))];
    const done = decide(inside, complete(sagaOf(events)));
    const moves = done.filter((e) => e.type === 'mission.transitioned.v1').map((e) => e.data);
    expect(moves).toEqual([
      expect.objectContaining({ from: 'approved', to: 'assigned' }),
      expect.objectContaining({ from: 'assigned', to: 'on_site', cause: 'geofence' }),
    ]);
  });

  it('the deadline timer makes the mission overdue once; a fired or cancelled timer does nothing', () => {
    const events = assigned();
    const timer = stateOf(events).timers[0];
    const fire = (timerId: string): MissionCommand => ({
      type: 'FireMissionTimer',
      data: { missionId, timerId, now: DEADLINE, commandId: '00000000-0000-4000-8000-0000000f1e00' },
    });
    const fired = decide(events, fire(timer.timerId));
    expect(types(fired)).toEqual(['mission.timer-fired.v1', 'mission.transitioned.v1']);
    expect(fired[1].data).toMatchObject({
      from: 'assigned',
      to: 'overdue',
      cause: 'timer',
      actor: SYSTEM_ACTORS.timer,
    });
    mission
      .given([...events, ...fired])
      .when(fire(timer.timerId))
      .then([]);
    // Cancelled: arriving cancels the deadline, which then never fires.
    const arrived = [...events, ...decide(events, presence(assetA, true))];
    mission.given(arrived).when(fire(timer.timerId)).then([]);
  });

  it('an overdue mission still arrives (late) and completes; completion releases the assets', () => {
    const events = assigned();
    const timer = stateOf(events).timers[0];
    const overdue = [
      ...events,
      ...decide(events, {
        type: 'FireMissionTimer',
        data: { missionId, timerId: timer.timerId, now: DEADLINE, commandId: 'f' },
      }),
    ];
    const onSite = [...overdue, ...decide(overdue, presence(assetA, true))];
    expect(stateOf(onSite).value).toBe('on_site');
    const completed = decide(onSite, send('complete', creator));
    expect(types(completed)).toEqual(['mission.transitioned.v1', 'mission.release-requested.v1']);
    expect(completed[1].data).toMatchObject({ assetIds: [assetA, assetB] });
    const final = [...onSite, ...completed];
    expect(stateOf(final).status).toBe('done');
    mission.given(final).when(send('cancel', creator)).thenRejects(MissionRejections.eventNotAllowed);
    mission.given(final).when(presence(assetB, true)).then([]);
  });

  it('cancel from assigned cancels the timer and releases the assets', () => {
    const events = assigned();
    expect(types(decide(events, send('cancel', creator)))).toEqual([
      'mission.transitioned.v1',
      'mission.timer-cancelled.v1',
      'mission.release-requested.v1',
    ]);
  });

  it('overdue arrive needs the mission to have assets (missionHasAssets)', () => {
    const events = approved();
    const timer = stateOf(events).timers[0];
    const overdue = [
      ...events,
      ...decide(events, {
        type: 'FireMissionTimer',
        data: { missionId, timerId: timer.timerId, now: DEADLINE, commandId: 'f' },
      }),
    ];
    expect(stateOf(overdue).value).toBe('overdue');
    mission
      .given(overdue)
      .when(send('arrive', creator))
      .thenRejects(MissionRejections.guardFailed, /missionHasAssets/);
  });

  it('a re-assignment (allowed by a custom definition) releases the assets it no longer names', () => {
    const states = DEFAULT_MACHINE['states'] as Record<string, Record<string, unknown>>;
    const assignedState = states['assigned'] as { on: Record<string, unknown> };
    const approvedState = states['approved'] as { on: Record<string, unknown> };
    const machine = {
      ...DEFAULT_MACHINE,
      states: {
        ...states,
        assigned: { ...assignedState, on: { ...assignedState.on, assign: approvedState.on['assign'] } },
      },
    };
    const custom = { ...definition, key: 'reassign', machine };
    const createCustom: MissionCommand = { ...create, data: { ...create.data, definition: custom } } as MissionCommand;
    const first = history(
      createCustom,
      send('submit', creator),
      send('approve', approver),
      send('assign', creator, { assetIds: [assetA, assetB] }),
    );
    const firstAssigned = [...first, ...decide(first, complete(sagaOf(first)))];
    const again = [...firstAssigned, ...decide(firstAssigned, send('assign', creator, { assetIds: [assetA] }))];
    const secondSaga = (
      again.filter((e) => e.type === 'mission.assignment-requested.v1').at(-1)?.data as { sagaId: string }
    ).sagaId;
    const done = decide(again, {
      type: 'CompleteAssignment',
      data: { missionId, sagaId: secondSaga, now: T0, commandId: 'c2' },
    });
    expect(done.find((e) => e.type === 'mission.release-requested.v1')?.data).toMatchObject({ assetIds: [assetB] });
    expect(stateOf([...again, ...done]).assetIds).toEqual([assetA]);
  });

  it('lists the transitions the state takes, with permission and guards', () => {
    expect(missionTransitions(stateOf(submitted()))).toEqual([
      { event: 'approve', permission: 'missions:approve', guards: ['notCreator'] },
      { event: 'reject', permission: 'missions:approve', guards: ['notCreator'] },
      { event: 'cancel', permission: 'missions:write', guards: [] },
    ]);
  });
});
