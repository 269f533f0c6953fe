import type { MachineJson } from './definition.types';
import {
  DEFINITION_LIMITS,
  type DelayName,
  delayNames,
  type EffectName,
  effectNames,
  type GuardName,
  guardNames,
} from './definition.vocabulary';

/** One candidate transition of an event in a state (XState takes the first whose guard passes). */
export interface TransitionSpec {
  readonly event: string;
  readonly target: string;
  readonly guard: GuardName | null;
  /** The permission a person needs to send the event. */
  readonly permission: string;
  readonly effect: EffectName | null;
  /** An assigned asset entering the mission's area sends this event. */
  readonly geofence: boolean;
}

export interface DelayedSpec {
  readonly delay: DelayName;
  readonly target: string;
  readonly guard: GuardName | null;
}

export interface StateSpec {
  readonly name: string;
  readonly final: boolean;
  readonly on: ReadonlyMap<string, readonly TransitionSpec[]>;
  readonly after: readonly DelayedSpec[];
}

export interface ParsedDefinition {
  readonly initial: string;
  readonly states: ReadonlyMap<string, StateSpec>;
}

export type ParseResult =
  { readonly ok: true; readonly definition: ParsedDefinition } | { readonly ok: false; readonly detail: string };

const NAME = /^[a-z][a-z0-9_]{0,39}$/;
const TOP_KEYS = new Set(['id', 'initial', 'states', 'description', 'meta']);
const STATE_KEYS = new Set(['on', 'after', 'type', 'meta', 'description']);
const TRANSITION_KEYS = new Set(['target', 'guard', 'meta', 'description']);
const META_KEYS = new Set(['permission', 'effect', 'geofence']);

class Invalid extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function check(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new Invalid(detail);
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  check(
    extra.length === 0,
    `${where}: ${extra.map((k) => `"${k}"`).join(', ')} not allowed (definitions are data: ` +
      `use ${[...allowed].join(', ')})`,
  );
}

function guardOf(value: unknown, where: string): GuardName | null {
  if (value === undefined) return null;
  const name = isObject(value) ? value['type'] : value;
  check(typeof name === 'string', `${where}: guard must be a name or {"type": name}`);
  check(
    (guardNames as readonly string[]).includes(name),
    `${where}: unknown guard "${name}" (known: ${guardNames.join(', ')})`,
  );
  return name as GuardName;
}

function candidates(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function targetOf(raw: unknown, states: Record<string, unknown>, where: string): string {
  const target = typeof raw === 'string' ? raw : isObject(raw) ? raw['target'] : undefined;
  check(typeof target === 'string', `${where}: a transition needs a target state`);
  const name = target.startsWith('.') ? target.slice(1) : target;
  check(Object.hasOwn(states, name), `${where}: target "${target}" is not a state`);
  return name;
}

function transition(
  raw: unknown,
  event: string,
  states: Record<string, unknown>,
  permissions: ReadonlySet<string>,
  where: string,
): TransitionSpec {
  check(
    typeof raw !== 'string',
    `${where}: meta.permission is required (write {"target": "${String(raw)}", "meta": {"permission": …}})`,
  );
  check(isObject(raw), `${where}: a transition is an object {target, guard?, meta: {permission}}`);
  onlyKeys(raw, TRANSITION_KEYS, where);
  const target = targetOf(raw, states, where);
  const meta = raw['meta'];
  check(isObject(meta), `${where}: meta.permission is required (who may send "${event}")`);
  onlyKeys(meta, META_KEYS, `${where}.meta`);
  const permission = meta['permission'];
  check(typeof permission === 'string', `${where}: meta.permission is required (who may send "${event}")`);
  check(permissions.has(permission), `${where}: unknown permission "${permission}"`);
  const effect = meta['effect'];
  check(
    effect === undefined || (effectNames as readonly unknown[]).includes(effect),
    `${where}: unknown effect ${JSON.stringify(effect)} (known: ${effectNames.join(', ')})`,
  );
  const geofence = meta['geofence'];
  check(geofence === undefined || typeof geofence === 'boolean', `${where}: meta.geofence must be true or false`);
  return {
    event,
    target,
    guard: guardOf(raw['guard'], where),
    permission,
    effect: (effect as EffectName | undefined) ?? null,
    geofence: geofence === true,
  };
}

function state(
  name: string,
  raw: unknown,
  states: Record<string, unknown>,
  permissions: ReadonlySet<string>,
): StateSpec {
  const where = `states.${name}`;
  check(NAME.test(name), `${where}: a state name is lower case (a–z, 0–9, _), at most 40 characters`);
  check(isObject(raw), `${where}: a state is an object`);
  onlyKeys(raw, STATE_KEYS, where);
  const type = raw['type'];
  check(type === undefined || type === 'final' || type === 'atomic', `${where}: type must be "final" or left out`);
  const final = type === 'final';
  const rawOn = raw['on'] ?? {};
  const rawAfter = raw['after'] ?? {};
  check(isObject(rawOn), `${where}.on: must be an object of events`);
  check(isObject(rawAfter), `${where}.after: must be an object of delays`);
  if (final) {
    const exits = [...Object.keys(rawOn), ...Object.keys(rawAfter)];
    check(exits.length === 0, `${where}: a final state has no exits (found ${exits.join(', ')})`);
  }
  const on = new Map<string, TransitionSpec[]>();
  for (const [event, value] of Object.entries(rawOn)) {
    const at = `${where}.on.${event}`;
    check(NAME.test(event), `${at}: an event name is lower case (a–z, 0–9, _), at most 40 characters`);
    const specs = candidates(value).map((c, i) => transition(c, event, states, permissions, `${at}[${i}]`));
    check(specs.length > 0, `${at}: no transition`);
    check(
      specs.every((s) => s.permission === specs[0].permission && s.effect === specs[0].effect),
      `${at}: every candidate of one event needs the same permission and effect`,
    );
    on.set(event, specs);
  }
  const after = Object.entries(rawAfter).flatMap(([delay, value]) => {
    const at = `${where}.after.${delay}`;
    check(
      (delayNames as readonly string[]).includes(delay),
      `${at}: unknown delay "${delay}" (known: ${delayNames.join(', ')})`,
    );
    return candidates(value).map((c, i) => {
      if (isObject(c)) onlyKeys(c, new Set(['target', 'guard', 'description']), `${at}[${i}]`);
      return {
        delay: delay as DelayName,
        target: targetOf(c, states, `${at}[${i}]`),
        guard: isObject(c) ? guardOf(c['guard'], `${at}[${i}]`) : null,
      };
    });
  });
  return { name, final, on, after };
}

function unreachable(initial: string, specs: ReadonlyMap<string, StateSpec>): string[] {
  const seen = new Set([initial]);
  const queue = [initial];
  while (queue.length) {
    const current = specs.get(queue.shift() ?? '');
    if (!current) continue;
    const targets = [...[...current.on.values()].flat().map((t) => t.target), ...current.after.map((a) => a.target)];
    for (const t of targets) {
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return [...specs.keys()].filter((s) => !seen.has(s));
}

/**
 * Checks a machine config against Meridian's subset of XState v5 (flat states, `on`, `after`,
 * `type: "final"`, guards and delays from the vocabulary, `meta.permission` on every event) and
 * returns its model, or the first problem with where it is.
 */
export function parseDefinition(machine: MachineJson, permissions: readonly string[]): ParseResult {
  try {
    check(
      JSON.stringify(machine).length <= DEFINITION_LIMITS.bytes,
      `machine: larger than ${DEFINITION_LIMITS.bytes} bytes`,
    );
    onlyKeys(machine, TOP_KEYS, 'machine');
    const rawStates = machine['states'];
    check(isObject(rawStates) && Object.keys(rawStates).length > 0, 'machine.states: at least one state is needed');
    check(
      Object.keys(rawStates).length <= DEFINITION_LIMITS.states,
      `machine.states: more than ${DEFINITION_LIMITS.states} states`,
    );
    const initial = machine['initial'];
    check(
      typeof initial === 'string' && Object.hasOwn(rawStates, initial),
      'machine.initial: must name one of the states',
    );
    const allowed = new Set(permissions);
    const states = new Map(
      Object.entries(rawStates).map(([name, raw]) => [name, state(name, raw, rawStates, allowed)]),
    );
    const count = [...states.values()].reduce((n, s) => n + [...s.on.values()].flat().length + s.after.length, 0);
    check(count <= DEFINITION_LIMITS.transitions, `machine: more than ${DEFINITION_LIMITS.transitions} transitions`);
    check(
      [...states.values()].some((s) => s.final),
      'machine: no final state (a mission must be able to end)',
    );
    const lost = unreachable(initial, states);
    check(lost.length === 0, `machine: ${lost.map((s) => `"${s}"`).join(', ')} cannot be reached from "${initial}"`);
    return { ok: true, definition: { initial, states } };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, detail: err.message };
    throw err;
  }
}
