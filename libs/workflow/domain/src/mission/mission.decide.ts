import { ErrorCodes } from '@meridian/contracts/core';
import { accept, type Decider, type Decision, reject } from '@meridian/shared/decider';
import { PERMISSIONS } from '@meridian/shared/policy';
import { stableUuid } from '@meridian/shared/util';
import { refusedAccess } from '../access/access';
import { MissionRejections } from '../definition/definition.vocabulary';
import type {
  CompleteAssignment,
  CreateMission,
  FailAssignment,
  FireMissionTimer,
  MissionCommand,
  RecordAreaPresence,
  SendMissionEvent,
} from './mission.commands';
import type { MissionCause, MissionEvent, MissionTransitionInfo } from './mission.events';
import {
  deadlineOf,
  definesEvent,
  initialStep,
  judgeGuard,
  type MachineEvent,
  type MissionMachine,
  missionMachineOf,
  type Step,
  stepFrom,
  transitionsOf,
} from './mission.machine';
import { type ActiveMission, evolveMission, initialMissionState, type MissionState } from './mission.state';

const MAX_WINDOW_MS = 30 * 24 * 3600 * 1000;

export const SYSTEM_ACTORS = { timer: 'system:timer', geofence: 'system:geofence', saga: 'system:saga' } as const;

export const machineOfMission = (state: ActiveMission): MissionMachine =>
  missionMachineOf(state.definition, PERMISSIONS);

const factsOf = (state: ActiveMission) => ({
  createdBy: state.createdBy,
  assetIds: state.assetIds,
  window: state.window,
  deadline: state.deadline,
});

const timerIdOf = (state: ActiveMission | { missionId: string; seq: number }, sendId: string): string =>
  stableUuid(`mission-timer:${state.missionId}:${sendId}:${state.seq}`);

/** The events a step decides: the transition, then the timers it cancels and arms, then a release when it ends. */
function stepEvents(
  state: ActiveMission,
  step: Step,
  how: {
    event: string;
    actor: string;
    cause: MissionCause;
    reason: string | null;
    now: string;
    assetIds?: readonly string[];
  },
  releaseId: string,
): MissionEvent[] {
  const { missionId } = state;
  const assetIds = how.assetIds ?? state.assetIds;
  const events: MissionEvent[] = [
    {
      type: 'mission.transitioned.v1',
      data: {
        missionId,
        from: state.value,
        to: step.to,
        done: step.done,
        event: how.event,
        actor: how.actor,
        cause: how.cause,
        reason: how.reason,
        assetIds,
        transitions: step.done ? [] : transitionsAt(machineOfMission(state), step.to),
        at: how.now,
      },
    },
  ];
  for (const sendId of step.cancel) {
    const timer = state.timers.find((t) => t.sendId === sendId);
    if (timer)
      events.push({
        type: 'mission.timer-cancelled.v1',
        data: { missionId, timerId: timer.timerId, cancelledAt: how.now },
      });
  }
  for (const request of step.schedule) {
    const timerId = timerIdOf(state, request.sendId);
    events.push({
      type: 'mission.timer-scheduled.v1',
      data: { missionId, tenantId: state.tenantId, timerId, ...request },
    });
  }
  if (step.done) {
    // A final state leaves no timer behind, and gives back what the mission holds.
    const cancelled = new Set(step.cancel);
    for (const t of state.timers.filter((t) => !cancelled.has(t.sendId))) {
      events.push({
        type: 'mission.timer-cancelled.v1',
        data: { missionId, timerId: t.timerId, cancelledAt: how.now },
      });
    }
    if (assetIds.length > 0) {
      events.push({
        type: 'mission.release-requested.v1',
        data: { missionId, sagaId: releaseId, assetIds, at: how.now },
      });
    }
  }
  return events;
}

function create(command: CreateMission, state: MissionState): Decision<MissionEvent> {
  const { missionId, tenantId, title, definition, area, window, priority, actor, now, access } = command.data;
  const refused = refusedAccess<MissionEvent>(access);
  if (refused) return refused;
  if (state.status !== 'none') return reject(MissionRejections.alreadyExists, `mission ${missionId} already exists`);
  const span = Date.parse(window.end) - Date.parse(window.start);
  if (!(span > 0) || span > MAX_WINDOW_MS) {
    return reject(MissionRejections.windowInvalid, 'window.end must be after window.start, within 30 days');
  }
  const deadline = deadlineOf(window.start, definition.deadlineTolerance);
  const machine = missionMachineOf(definition, PERMISSIONS);
  const facts = { createdBy: actor, assetIds: [], window, deadline };
  const first = initialStep(machine, { type: 'xstate.init', actor, now, assetIds: [], mission: facts });
  const created: MissionEvent = {
    type: 'mission.created.v1',
    data: {
      missionId,
      tenantId,
      title,
      definition,
      area,
      window,
      priority,
      deadline,
      createdBy: actor,
      createdAt: now,
      state: first.to,
      done: first.done,
      transitions: first.done ? [] : transitionsAt(machine, first.to),
    },
  };
  const timers: MissionEvent[] = first.schedule.map((request) => ({
    type: 'mission.timer-scheduled.v1',
    data: { missionId, tenantId, timerId: timerIdOf({ missionId, seq: 0 }, request.sendId), ...request },
  }));
  return accept(created, ...timers);
}

const found = (state: MissionState, tenantId: string | null): state is ActiveMission =>
  state.status !== 'none' && (tenantId === null || state.tenantId === tenantId);

/** Why no candidate of an event may be taken: separation of duties has its own code. */
function guardRefusal(state: ActiveMission, event: string, guard: string): Decision<MissionEvent> {
  if (guard === 'notCreator') {
    return reject(MissionRejections.separationOfDuties, `"${event}" needs someone other than the mission's creator`);
  }
  return reject(MissionRejections.guardFailed, `guard ${guard} refused "${event}" in state ${state.value}`);
}

function send(command: SendMissionEvent, state: MissionState): Decision<MissionEvent> {
  const { missionId, tenantId, event, assetIds, reason, actor, now, commandId, access, expectedVersion } = command.data;
  // A mission the principal may not read (outside its region) is not found: a 403 would tell it exists.
  if (!found(state, tenantId) || !command.data.visible) {
    return reject(MissionRejections.notFound, `mission ${missionId} not found`);
  }
  const refused = refusedAccess<MissionEvent>(access);
  if (refused) return refused;
  if (expectedVersion !== null && expectedVersion !== state.publicVersion) {
    const detail = `mission ${missionId} is at version ${state.publicVersion}, not ${expectedVersion}`;
    return reject(ErrorCodes.requestPreconditionFailed, detail);
  }
  const machine = machineOfMission(state);
  if (!definesEvent(machine, event)) {
    const version = `${state.definition.key}@${state.definition.version}`;
    return reject(MissionRejections.eventUnknown, `definition ${version} has no event "${event}"`);
  }
  const candidates = transitionsOf(machine, state.value, event);
  if (state.status === 'done' || candidates === null) {
    return reject(
      MissionRejections.eventNotAllowed,
      `mission ${missionId} is ${state.value}: it does not take "${event}"`,
    );
  }
  const input: MachineEvent = { type: event, actor, now, assetIds, mission: factsOf(state) };
  const chosen = candidates.find((c) => judgeGuard(c.guard, input));
  if (!chosen) return guardRefusal(state, event, candidates.find((c) => c.guard !== null)?.guard ?? 'none');
  if (chosen.effect === 'reserveAssets') {
    if (state.pending) {
      return reject(
        MissionRejections.assignmentPending,
        `assignment ${state.pending.sagaId} is still reserving assets`,
      );
    }
    if (assetIds.length === 0) return guardRefusal(state, event, 'hasAssets');
    const unique = [...new Set(assetIds)].sort();
    return accept({
      type: 'mission.assignment-requested.v1',
      data: { missionId, sagaId: commandId, event, assetIds: unique, window: state.window, actor, at: now },
    });
  }
  const step = stepFrom(machine, state.value, input);
  if (!step) return reject(MissionRejections.eventNotAllowed, `mission ${missionId} did not move on "${event}"`);
  return accept(...stepEvents(state, step, { event, actor, cause: 'user', reason, now }, commandId));
}

/** The first geofence event the state takes for an asset of the mission, and its step. */
function arrivalStep(state: ActiveMission, assetId: string, now: string): { event: string; step: Step } | null {
  if (!state.assetIds.includes(assetId)) return null;
  const machine = machineOfMission(state);
  const spec = machine.model.states.get(state.value);
  for (const [event, candidates] of spec?.on ?? []) {
    if (!candidates.some((c) => c.geofence)) continue;
    const input: MachineEvent = {
      type: event,
      actor: SYSTEM_ACTORS.geofence,
      now,
      assetIds: [],
      mission: factsOf(state),
    };
    if (!candidates.some((c) => c.geofence && judgeGuard(c.guard, input))) continue;
    const step = stepFrom(machine, state.value, input);
    if (step) return { event, step };
  }
  return null;
}

function completeAssignment(command: CompleteAssignment, state: MissionState): Decision<MissionEvent> {
  const { missionId, sagaId, now, commandId } = command.data;
  if (!found(state, null)) return reject(MissionRejections.notFound, `mission ${missionId} not found`);
  const pending = state.pending;
  if (state.status === 'done' || !pending || pending.sagaId !== sagaId) {
    return reject(MissionRejections.eventNotAllowed, `mission ${missionId} no longer waits for assignment ${sagaId}`);
  }
  const machine = machineOfMission(state);
  const input: MachineEvent = {
    type: pending.event,
    actor: pending.actor,
    now,
    assetIds: pending.assetIds,
    mission: factsOf(state),
  };
  const step = stepFrom(machine, state.value, input);
  if (!step)
    return reject(MissionRejections.eventNotAllowed, `mission ${missionId} is ${state.value}: it cannot be assigned`);
  const how = {
    event: pending.event,
    actor: SYSTEM_ACTORS.saga,
    cause: 'saga' as const,
    reason: null,
    now,
    assetIds: pending.assetIds,
  };
  const assigned = stepEvents(state, step, how, commandId);
  // A re-assignment (a definition may allow one) gives back the assets it no longer names.
  const dropped = state.assetIds.filter((a) => !pending.assetIds.includes(a));
  if (dropped.length > 0 && !step.done) {
    const releaseId = stableUuid(`release-dropped:${commandId}`);
    assigned.push({
      type: 'mission.release-requested.v1',
      data: { missionId, sagaId: releaseId, assetIds: dropped, at: now },
    });
  }
  // An asset already inside the area when the mission is assigned counts as arrived.
  const after = assigned.reduce(evolveMission, state as MissionState) as ActiveMission;
  const already = pending.assetIds.find((a) => state.inside.includes(a));
  const arrival = already && !step.done ? arrivalStep(after, already, now) : null;
  if (!arrival) return accept(...assigned);
  const arrived = stepEvents(
    after,
    arrival.step,
    {
      event: arrival.event,
      actor: SYSTEM_ACTORS.geofence,
      cause: 'geofence',
      reason: `asset ${already} was already in the area`,
      now,
    },
    stableUuid(`release:${commandId}`),
  );
  return accept(...assigned, ...arrived);
}

function failAssignment(command: FailAssignment, state: MissionState): Decision<MissionEvent> {
  const { missionId, sagaId, reason, now } = command.data;
  if (!found(state, null)) return reject(MissionRejections.notFound, `mission ${missionId} not found`);
  if (state.pending?.sagaId !== sagaId) return accept();
  const assetIds = state.pending.assetIds;
  return accept({ type: 'mission.assignment-failed.v1', data: { missionId, sagaId, assetIds, reason, at: now } });
}

function fireTimer(command: FireMissionTimer, state: MissionState): Decision<MissionEvent> {
  const { missionId, timerId, now, commandId } = command.data;
  if (!found(state, null)) return reject(MissionRejections.notFound, `mission ${missionId} not found`);
  const timer = state.timers.find((t) => t.timerId === timerId);
  // Cancelled by a transition, or already fired: a timer fires once, or never.
  if (!timer) return accept();
  const fired: MissionEvent = { type: 'mission.timer-fired.v1', data: { missionId, timerId, firedAt: now } };
  const afterFire = evolveMission(state, fired) as ActiveMission;
  if (state.status === 'done') return accept(fired);
  const input: MachineEvent = {
    type: timer.event,
    actor: SYSTEM_ACTORS.timer,
    now,
    assetIds: [],
    mission: factsOf(state),
  };
  const step = stepFrom(machineOfMission(state), state.value, input);
  if (!step) return accept(fired);
  const how = { event: timer.event, actor: SYSTEM_ACTORS.timer, cause: 'timer' as const, reason: null, now };
  return accept(fired, ...stepEvents(afterFire, step, how, commandId));
}

function recordPresence(command: RecordAreaPresence, state: MissionState): Decision<MissionEvent> {
  const { missionId, tenantId, assetId, entered, ts, now, commandId } = command.data;
  if (!found(state, tenantId)) return reject(MissionRejections.notFound, `mission ${missionId} not found`);
  if (state.status === 'done') return accept();
  const inside = state.inside.includes(assetId);
  if (!entered) {
    return inside ? accept({ type: 'mission.asset-left-area.v1', data: { missionId, assetId, ts } }) : accept();
  }
  if (inside) return accept();
  const presence: MissionEvent = { type: 'mission.asset-entered-area.v1', data: { missionId, assetId, ts } };
  const afterPresence = evolveMission(state, presence) as ActiveMission;
  const arrival = arrivalStep(afterPresence, assetId, now);
  if (!arrival) return accept(presence);
  const how = {
    event: arrival.event,
    actor: SYSTEM_ACTORS.geofence,
    cause: 'geofence' as const,
    reason: `asset ${assetId} entered the area`,
    now,
  };
  return accept(presence, ...stepEvents(afterPresence, arrival.step, how, commandId));
}

/**
 * A definition passed validation, yet XState may still fail on it at run time: that is a coded
 * refusal of this one command, never an exception that would stall the partition for everyone.
 */
export function decideMission(command: MissionCommand, state: MissionState): Decision<MissionEvent> {
  try {
    return decideUnguarded(command, state);
  } catch (err) {
    const detail = `the mission's definition cannot take this command: ${(err as Error).message}`;
    return reject(MissionRejections.definitionInvalid, detail);
  }
}

function decideUnguarded(command: MissionCommand, state: MissionState): Decision<MissionEvent> {
  switch (command.type) {
    case 'CreateMission':
      return create(command, state);
    case 'SendMissionEvent':
      return send(command, state);
    case 'CompleteAssignment':
      return completeAssignment(command, state);
    case 'FailAssignment':
      return failAssignment(command, state);
    case 'FireMissionTimer':
      return fireTimer(command, state);
    case 'RecordAreaPresence':
      return recordPresence(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const missionDecider: Decider<MissionCommand, MissionState, MissionEvent> = {
  initialState: initialMissionState,
  stateVersion: 1,
  decide: decideMission,
  evolve: evolveMission,
};

export const missionStreamId = (missionId: string): string => `mission-${missionId}`;

/** The permission a person needs to send `event` to the mission as it is, or null (no such transition now). */
export function missionEventPermission(state: MissionState, event: string): string | null {
  if (state.status !== 'active') return null;
  return transitionsOf(machineOfMission(state), state.value, event)?.[0]?.permission ?? null;
}

/** The events a state of the machine takes from people, with what each needs (for the read side). */
export function transitionsAt(machine: MissionMachine, stateName: string): MissionTransitionInfo[] {
  const spec = machine.model.states.get(stateName);
  return [...(spec?.on ?? [])].map(([event, candidates]) => ({
    event,
    permission: candidates[0]?.permission ?? null,
    guards: [...new Set(candidates.flatMap((c) => (c.guard ? [c.guard] : [])))],
  }));
}

/** The events the mission takes from people now. */
export const missionTransitions = (state: MissionState): MissionTransitionInfo[] =>
  state.status === 'active' ? transitionsAt(machineOfMission(state), state.value) : [];
