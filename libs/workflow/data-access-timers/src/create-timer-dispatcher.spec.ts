import { describe, expect, it } from '@jest/globals';
import { Pool } from 'pg';
import { BullmqTimers } from './bullmq-timers';
import { createTimerDispatcher, parseTimerDispatcherKind } from './create-timer-dispatcher';
import { PgTimerPoller } from './pg-timer-poller';
import { type DueTimer, scheduledTimersOf, TimerEventTypes } from './timer.events';
import { fireOnce } from './timer-dispatcher';

const timer: DueTimer = {
  timerId: '6f1c1c36-8d0e-4a53-9d0f-1f5d2f3c4b5a',
  streamId: 'mission-1',
  tenantId: 'acme',
  missionId: '1',
  sendId: 'deadline',
  event: 'deadline',
  dueAt: new Date('2030-01-01T00:00:00Z'),
  attempts: 0,
};

describe('choosing a timer dispatcher by configuration', () => {
  // Never connects: pg opens connections on the first query.
  const options = { pool: new Pool(), schema: 'workflow', fire: async () => 'fired' as const };

  it('reads poller and bullmq (any case, trimmed) and refuses anything else', () => {
    expect(parseTimerDispatcherKind('poller')).toBe('poller');
    expect(parseTimerDispatcherKind(' BullMQ ')).toBe('bullmq');
    expect(() => parseTimerDispatcherKind('cron')).toThrow('unknown timer dispatcher "cron"; expected poller | bullmq');
  });

  it('builds the named implementation; bullmq needs a Redis URL', () => {
    expect(createTimerDispatcher('poller', options)).toBeInstanceOf(PgTimerPoller);
    expect(createTimerDispatcher('bullmq', { ...options, redisUrl: 'redis://127.0.0.1:6379/5' })).toBeInstanceOf(
      BullmqTimers,
    );
    expect(() => createTimerDispatcher('bullmq', options)).toThrow('needs redisUrl');
  });

  it('refuses a poller lease that a hanging fire could outlast', () => {
    expect(() => createTimerDispatcher('poller', { ...options, fireTimeoutMs: 5000, leaseMs: 5000 })).toThrow(
      'leaseMs must exceed fireTimeoutMs',
    );
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => createTimerDispatcher('poller', { ...options, schema: 'workflow; drop' })).toThrow(
      'invalid SQL identifier',
    );
  });
});

describe('scheduledTimersOf', () => {
  it('picks the timers an append schedules, with their due times, and nothing else', () => {
    const events = [
      { type: 'mission.transitioned.v1', data: { missionId: '1' } },
      {
        type: TimerEventTypes.scheduled,
        data: {
          missionId: '1',
          tenantId: 'acme',
          timerId: 't-1',
          sendId: 's',
          event: 'e',
          dueAt: '2030-01-01T00:00:00Z',
        },
      },
      {
        type: TimerEventTypes.cancelled,
        data: { missionId: '1', timerId: 't-0', cancelledAt: '2029-01-01T00:00:00Z' },
      },
    ];
    expect(scheduledTimersOf(events)).toEqual([{ timerId: 't-1', dueAt: new Date('2030-01-01T00:00:00Z') }]);
  });
});

describe('fireOnce', () => {
  it('passes on the outcome', async () => {
    expect(await fireOnce(async () => 'stale', timer, 1000)).toEqual({ outcome: 'stale' });
  });

  it('turns a throw, a timeout and an answer outside the contract into a failure', async () => {
    expect(
      await fireOnce(
        async () => {
          throw new Error('mission store down');
        },
        timer,
        1000,
      ),
    ).toEqual({ error: 'mission store down' });
    expect(await fireOnce(() => new Promise(() => undefined), timer, 50)).toEqual({
      error: 'fire did not answer within 50 ms',
    });
    const odd = (async () => 'done') as unknown as () => Promise<'fired'>;
    expect(await fireOnce(odd, timer, 1000)).toEqual({ error: 'fire answered done' });
  });
});
