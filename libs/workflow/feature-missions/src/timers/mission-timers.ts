import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventStore } from '@meridian/shared/decider';
import { EVENT_STORE, LOGGER, PG_POOL } from '@meridian/shared/service-kit';
import {
  createTimerDispatcher,
  type TimerDispatcher,
  type TimerDispatcherKind,
} from '@meridian/workflow/data-access-timers';
import { ReservationSagas } from '../sagas/reservation-sagas';
import { fireMissionTimer } from './fire-mission-timer';

export const MISSION_TIMER_OPTIONS = Symbol('meridian.mission-timer-options');

export interface MissionTimerOptions {
  readonly kind: TimerDispatcherKind;
  readonly redisUrl: string;
  readonly reconcileMs: number;
}

/** The durable timers of missions (`workflow.timers`), dispatched by the configured dispatcher. */
@Injectable()
export class MissionTimers implements OnApplicationBootstrap, OnApplicationShutdown {
  private dispatcher: TimerDispatcher | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(MISSION_TIMER_OPTIONS) private readonly options: MissionTimerOptions,
    private readonly sagas: ReservationSagas,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.dispatcher = createTimerDispatcher(this.options.kind, {
      pool: this.pool,
      schema: 'workflow',
      redisUrl: this.options.redisUrl,
      reconcileMs: this.options.reconcileMs,
      log: this.log,
      fire: (timer) => fireMissionTimer(this.store, this.sagas, timer, new Date()),
    });
    const dispatcher = this.dispatcher;
    this.sagas.onTimersScheduled((timers) => dispatcher.schedule(timers));
    await dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher?.stop();
  }

  status(): ReturnType<TimerDispatcher['status']> | null {
    return this.dispatcher?.status() ?? null;
  }
}
