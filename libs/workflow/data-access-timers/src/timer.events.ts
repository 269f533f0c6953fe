import type { NewEvent } from '@meridian/shared/decider';

/**
 * The mission's timer events, as the mission decider appends them to `mission-<missionId>`. The
 * names are spelled out here (and in the trigger's SQL) rather than imported from the domain: the
 * table follows stored event types, which never change once written.
 */
export const TimerEventTypes = {
  scheduled: 'mission.timer-scheduled.v1',
  cancelled: 'mission.timer-cancelled.v1',
  fired: 'mission.timer-fired.v1',
} as const;

export interface TimerScheduledData {
  readonly missionId: string;
  readonly tenantId: string;
  readonly timerId: string;
  readonly sendId: string;
  readonly event: string;
  /** ISO 8601. */
  readonly dueAt: string;
}

export interface TimerCancelledData {
  readonly missionId: string;
  readonly timerId: string;
  readonly cancelledAt: string;
}

export interface TimerFiredData {
  readonly missionId: string;
  readonly timerId: string;
  readonly firedAt: string;
}

/** A pending timer as the dispatchers hand it to `fire`: the row of `<schema>.timers`. */
export interface DueTimer {
  readonly timerId: string;
  readonly streamId: string;
  readonly tenantId: string;
  readonly missionId: string;
  readonly sendId: string;
  readonly event: string;
  readonly dueAt: Date;
  /** Failed firings so far (0 on the first call). */
  readonly attempts: number;
}

/** What a dispatcher needs to know of a newly scheduled timer: which one, and when. */
export interface ScheduledTimer {
  readonly timerId: string;
  readonly dueAt: Date;
}

/**
 * The timers that just-appended events schedule, for `TimerDispatcher.schedule` after the append
 * committed. Cancellations need no call: a dispatcher checks the row before it fires.
 */
export function scheduledTimersOf(events: readonly Pick<NewEvent, 'type' | 'data'>[]): ScheduledTimer[] {
  return events
    .filter((e) => e.type === TimerEventTypes.scheduled)
    .map((e) => {
      const data = e.data as TimerScheduledData;
      return { timerId: data.timerId, dueAt: new Date(data.dueAt) };
    });
}
