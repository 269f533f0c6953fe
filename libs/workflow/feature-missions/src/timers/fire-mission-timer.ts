import type { EventStore } from '@meridian/shared/decider';
import type { DueTimer, FireOutcome } from '@meridian/workflow/data-access-timers';
import { MissionRejections, SYSTEM_ACTORS } from '@meridian/workflow/domain';
import { runSystemCommand } from '../mission-commands';
import type { ReservationSagas } from '../sagas/reservation-sagas';

/**
 * A due timer → the mission's FireMissionTimer, with the timer id as command id: fired once, or
 * `stale` when a transition cancelled it (the mission no longer holds it). Another refusal is
 * thrown, and the dispatcher retries it.
 */
export async function fireMissionTimer(
  store: EventStore,
  sagas: ReservationSagas,
  timer: DueTimer,
  now: Date,
): Promise<FireOutcome> {
  const { missionId, timerId, tenantId } = timer;
  const result = await runSystemCommand(
    store,
    missionId,
    { type: 'FireMissionTimer', data: { missionId, timerId, now: now.toISOString(), commandId: timerId } },
    timerId,
    { tenantId, actor: SYSTEM_ACTORS.timer, causationId: timerId, correlationId: timerId },
  );
  if (!result.ok) {
    // Not found, or a definition XState cannot run: retrying changes nothing.
    if (result.code === MissionRejections.notFound || result.code === MissionRejections.definitionInvalid) {
      return 'stale';
    }
    throw new Error(`${result.code}: ${result.detail}`);
  }
  sagas.afterDecision(result.events, tenantId);
  if (result.duplicate) return 'fired';
  return result.events.some((e) => e.type === 'mission.timer-fired.v1') ? 'fired' : 'stale';
}
