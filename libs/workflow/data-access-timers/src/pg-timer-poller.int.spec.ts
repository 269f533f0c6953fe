import { describe, expect, it } from '@jest/globals';
import { eventually } from '@meridian/shared/testing';
import { sleep } from '@meridian/shared/util';
import { createTimerDispatcher } from './create-timer-dispatcher';
import { PgTimerPoller, type PgTimerPollerOptions } from './pg-timer-poller';
import { timerDispatcherConformance } from './timer-dispatcher.conformance';
import type { TimerTestBed } from './timer-test-bed';

const options = (bed: TimerTestBed, more: Partial<PgTimerPollerOptions> = {}): PgTimerPollerOptions => ({
  pool: bed.pool,
  schema: bed.schema,
  fire: bed.fire,
  log: bed.log,
  retry: { baseMs: 200, maxMs: 1000 },
  fireTimeoutMs: 1000,
  leaseMs: 3000,
  ...more,
});

const suite = timerDispatcherConformance('poller', (bed) => new PgTimerPoller(options(bed)));

describe('PgTimerPoller', () => {
  it("wakes on the trigger's NOTIFY: a timer appended elsewhere fires on time, the poller asleep 30 s", async () => {
    const bed = suite.bed();
    await suite.started(() => new PgTimerPoller(options(bed, { maxSleepMs: 30_000 })));
    await sleep(300); // the poller found nothing due and went to sleep
    // No schedule() call: the append alone (as by another service instance) must wake it.
    const timer = await bed.scheduleTimer(700);
    await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 5000 });
    expect(bed.callsOf(timer.timerId)[0]).toBeLessThan(timer.dueAt.getTime() + 1000);
  });

  it('runs without Redis: chosen by configuration with an unreachable Redis URL, it fires as usual', async () => {
    const bed = suite.bed();
    const poller = await suite.started(() =>
      createTimerDispatcher('poller', { ...options(bed), redisUrl: 'redis://127.0.0.1:1/5' }),
    );
    const timer = await bed.scheduleTimer(300);
    await poller.schedule([timer]);
    await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 5000 });
    expect(poller.status()).toMatchObject({ kind: 'poller', redis: 'unused', lastError: null });
  });

  it('keeps claimed timers to itself for the lease: a second poller does not fire them meanwhile', async () => {
    const bed = suite.bed();
    const timer = await bed.scheduleTimer(0);
    bed.behave(timer.timerId, 'hang');
    // A hangs on the fire (timeout 1 s, then backoff 200 ms); B polls all along and must not take it.
    await suite.started(() => new PgTimerPoller(options(bed, { maxSleepMs: 50 })));
    await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1));
    await suite.started(() => new PgTimerPoller(options(bed, { maxSleepMs: 50 })));
    await sleep(700);
    expect(bed.callsOf(timer.timerId)).toHaveLength(1);
    await eventually(async () => expect(await bed.row(timer.timerId)).toMatchObject({ state: 'fired' }));
    expect(bed.callsOf(timer.timerId)).toHaveLength(2);
  });
});
