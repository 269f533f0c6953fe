/**
 * The vocabulary a workflow definition may use (docs/missions.md). Definitions are data: they name
 * guards and delays from these lists and never carry code. Each guard is judged on the mission and
 * the event that would take the transition, purely (time and actor come in with the command).
 */
export const guardNames = [
  /** Separation of duties: the actor is not the person who created the mission. */
  'notCreator',
  /** Only the person who created the mission. */
  'isCreator',
  /** The event names assets (`assetIds`, at least one). */
  'hasAssets',
  /** The mission has assigned assets. */
  'missionHasAssets',
  /** Now is before the end of the mission's window. */
  'beforeWindowEnd',
  /** The mission's window has started. */
  'afterWindowStart',
] as const;
export type GuardName = (typeof guardNames)[number];

/**
 * Delays of `after` transitions, as absolute instants of the mission: each is armed as a durable
 * timer when its state is entered and cancelled when the state is left.
 */
export const delayNames = [
  /** `window.start` plus the definition's deadline tolerance (default PT15M). */
  'deadline',
  'windowStart',
  'windowEnd',
] as const;
export type DelayName = (typeof delayNames)[number];

/** What a transition does beyond changing state. */
export const effectNames = [
  /** The transition waits for a saga that reserves the event's assets for the mission's window. */
  'reserveAssets',
] as const;
export type EffectName = (typeof effectNames)[number];

/** Limits of one definition. */
export const DEFINITION_LIMITS = { states: 50, transitions: 200, bytes: 64 * 1024 } as const;

/** Stable codes of the definition's and mission's refusals; contracts/missions declares each with its status. */
export const MissionRejections = {
  definitionInvalid: 'DEFINITION.INVALID',
  definitionUnknown: 'MISSION.DEFINITION_UNKNOWN',
  alreadyExists: 'MISSION.ALREADY_EXISTS',
  notFound: 'MISSION.NOT_FOUND',
  windowInvalid: 'MISSION.WINDOW_INVALID',
  eventUnknown: 'MISSION.EVENT_UNKNOWN',
  eventNotAllowed: 'MISSION.EVENT_NOT_ALLOWED',
  guardFailed: 'MISSION.GUARD_FAILED',
  separationOfDuties: 'MISSION.SEPARATION_OF_DUTIES',
  assignmentPending: 'MISSION.ASSIGNMENT_PENDING',
} as const;

/** ISO 8601 duration (days, hours, minutes, seconds) → milliseconds, or null. */
export function durationMs(text: string): number | null {
  const m = /^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m) return null;
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0));
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}

export const DEFAULT_DEADLINE_TOLERANCE = 'PT15M';
