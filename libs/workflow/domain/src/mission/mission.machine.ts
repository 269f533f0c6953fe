import { type AnyStateMachine, createMachine, initialTransition, transition } from 'xstate';
import { durationMs, type DelayName, type GuardName } from '../definition/definition.vocabulary';
import type { DefinitionVersion, MachineJson } from '../definition/definition.types';
import { parseDefinition, type ParsedDefinition, type TransitionSpec } from '../definition/parse-definition';

/** What guards and delays judge: the mission's facts and the event, with its actor and time. */
export interface MissionFacts {
  readonly createdBy: string;
  readonly assetIds: readonly string[];
  readonly window: { readonly start: string; readonly end: string };
  readonly deadline: string;
}

export interface MachineEvent {
  readonly type: string;
  readonly actor: string;
  readonly now: string;
  readonly assetIds: readonly string[];
  readonly mission: MissionFacts;
}

const ms = (iso: string): number => Date.parse(iso);

const GUARDS: Readonly<Record<GuardName, (e: MachineEvent) => boolean>> = {
  notCreator: (e) => e.actor !== e.mission.createdBy,
  isCreator: (e) => e.actor === e.mission.createdBy,
  hasAssets: (e) => e.assetIds.length > 0,
  missionHasAssets: (e) => e.mission.assetIds.length > 0,
  beforeWindowEnd: (e) => ms(e.now) < ms(e.mission.window.end),
  afterWindowStart: (e) => ms(e.now) >= ms(e.mission.window.start),
};

const DELAY_AT: Readonly<Record<DelayName, (m: MissionFacts) => string>> = {
  deadline: (m) => m.deadline,
  windowStart: (m) => m.window.start,
  windowEnd: (m) => m.window.end,
};

export const judgeGuard = (guard: GuardName | null, event: MachineEvent): boolean =>
  guard === null || GUARDS[guard](event);

/** XState hands guards and delays the event; the initial state's delays see the init event's input. */
const machineEventOf = (event: unknown): MachineEvent => {
  const e = event as { type: string; input?: MachineEvent };
  return e.type === 'xstate.init' && e.input ? e.input : (event as MachineEvent);
};

/** A definition version as a runnable machine: the parsed model (for permissions and refusals) and XState's. */
export interface MissionMachine {
  readonly model: ParsedDefinition;
  readonly machine: AnyStateMachine;
}

const MACHINE_ID = 'mission';

export function buildMissionMachine(json: MachineJson, model: ParsedDefinition): MissionMachine {
  const guards = Object.fromEntries(
    Object.entries(GUARDS).map(([name, judge]) => [
      name,
      ({ event }: { event: unknown }) => judge(machineEventOf(event)),
    ]),
  );
  const delays = Object.fromEntries(
    Object.entries(DELAY_AT).map(([name, at]) => [
      name,
      ({ event }: { event: unknown }) => {
        const e = machineEventOf(event);
        return Math.max(0, ms(at(e.mission)) - ms(e.now));
      },
    ]),
  );
  const machine = createMachine({ ...json, id: MACHINE_ID } as Parameters<typeof createMachine>[0], { guards, delays });
  return { model, machine };
}

/** Machines by their JSON: definitions are immutable, so a version is parsed and built once per process. */
const built = new Map<string, MissionMachine>();
const BUILT_MAX = 256;

export function missionMachineOf(definition: DefinitionVersion, permissions: readonly string[]): MissionMachine {
  const key = JSON.stringify(definition.machine);
  const cached = built.get(key);
  if (cached) return cached;
  const parsed = parseDefinition(definition.machine, permissions);
  if (!parsed.ok)
    throw new Error(`stored definition ${definition.key}@${definition.version} is invalid: ${parsed.detail}`);
  const machine = buildMissionMachine(definition.machine, parsed.definition);
  if (built.size >= BUILT_MAX) built.delete(built.keys().next().value ?? '');
  built.set(key, machine);
  return machine;
}

export function deadlineOf(windowStart: string, tolerance: string): string {
  return new Date(ms(windowStart) + (durationMs(tolerance) ?? 0)).toISOString();
}

/** A durable timer the step arms: `sendId` is XState's id of the delayed event, `event` its type. */
export interface TimerRequest {
  readonly sendId: string;
  readonly event: string;
  readonly dueAt: string;
}

export interface Step {
  readonly to: string;
  readonly done: boolean;
  readonly schedule: readonly TimerRequest[];
  readonly cancel: readonly string[];
}

type Action = { readonly type: string; readonly params?: unknown };

function timersOf(actions: readonly Action[], now: string): Pick<Step, 'schedule' | 'cancel'> {
  const schedule: TimerRequest[] = [];
  const cancel: string[] = [];
  for (const action of actions) {
    const params = (action.params ?? {}) as { id?: string; delay?: number; event?: { type: string }; sendId?: string };
    if (action.type === 'xstate.raise' && typeof params.delay === 'number' && params.id && params.event) {
      schedule.push({
        sendId: params.id,
        event: params.event.type,
        dueAt: new Date(ms(now) + params.delay).toISOString(),
      });
    } else if (action.type === 'xstate.cancel' && params.sendId) {
      cancel.push(params.sendId);
    }
  }
  return { schedule, cancel };
}

export function initialStep({ machine }: MissionMachine, input: MachineEvent): Step {
  const [snapshot, actions] = initialTransition(machine, input);
  return { to: String(snapshot.value), done: snapshot.status === 'done', ...timersOf(actions as Action[], input.now) };
}

/** XState's pure transition from `from` on the event; null when no transition is taken. */
export function stepFrom({ machine }: MissionMachine, from: string, event: MachineEvent): Step | null {
  const snapshot = machine.resolveState({ value: from, context: {} });
  // `can`: XState selects a transition for the event (a guard passed) — a self-transition included.
  if (!snapshot.can(event)) return null;
  const [next, actions] = transition(machine, snapshot, event);
  const acted = actions as Action[];
  return { to: String(next.value), done: next.status === 'done', ...timersOf(acted, event.now) };
}

/** The candidates of an event in a state, or null when the state does not take it. */
export const transitionsOf = (m: MissionMachine, state: string, event: string): readonly TransitionSpec[] | null =>
  m.model.states.get(state)?.on.get(event) ?? null;

/** Whether any state of the definition takes the event from people. */
export const definesEvent = (m: MissionMachine, event: string): boolean =>
  [...m.model.states.values()].some((s) => s.on.has(event));
