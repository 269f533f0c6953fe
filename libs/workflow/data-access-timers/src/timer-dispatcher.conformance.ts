import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@meridian/shared/testing';
import { sleep } from '@meridian/shared/util';
import type { ScheduledTimer } from './timer.events';
import type { TimerDispatcher } from './timer-dispatcher';
import { TimerTestBed } from './timer-test-bed';

/** Builds a dispatcher over the bed's schema whose `fire` is `bed.fire`. */
export type DispatcherFactory = (bed: TimerTestBed) => TimerDispatcher;

export interface TimerConformance {
  /** The bed of the running suite (set in its beforeAll), for implementation-specific tests. */
  readonly bed: () => TimerTestBed;
  /** Starts a dispatcher that the suite stops after the test. */
  readonly started: (factory?: DispatcherFactory) => Promise<TimerDispatcher>;
}

/** How long a test keeps watching after a timer fired, to see that it does not fire again. */
const SETTLE_MS = 1500;

/**
 * Call at the top level of a spec file. The contract both dispatchers pass against real PostgreSQL
 * (and Redis for BullMQ): a timer
 * fires once, at or after its due time; a cancelled one never; across a restart and with two
 * instances at once, still once; a failing or hanging `fire` is retried without holding up the
 * others. `factory` gets tight retry settings from the caller so retries show up within seconds.
 */
export function timerDispatcherConformance(name: string, factory: DispatcherFactory): TimerConformance {
  let bed: TimerTestBed;
  const running: TimerDispatcher[] = [];
  const started = async (make: DispatcherFactory = factory): Promise<TimerDispatcher> => {
    const dispatcher = make(bed);
    running.push(dispatcher);
    await dispatcher.start();
    return dispatcher;
  };

  // File-wide hooks: the caller's own tests in the same file share the bed and the clean-up.
  beforeAll(async () => {
    bed = await TimerTestBed.create(`timers_${name}`);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
  });

  afterAll(async () => {
    await bed?.close();
  });

  describe(`${name} conforms to the timer dispatcher contract`, () => {
    it('fires a timer once, at (not before) its due time, and the trigger settles its row as fired', async () => {
      const dispatcher = await started();
      const timer = await bed.scheduleTimer(1500);
      await dispatcher.schedule([timer]);
      expect(await bed.row(timer.timerId)).toMatchObject({ state: 'pending', attempts: 0 });
      await sleep(1000);
      expect(bed.callsOf(timer.timerId)).toEqual([]);
      await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 5000 });
      const [firedAt] = bed.callsOf(timer.timerId);
      expect(firedAt).toBeGreaterThanOrEqual(timer.dueAt.getTime());
      expect(firedAt).toBeLessThan(timer.dueAt.getTime() + 1500);
      await eventually(async () => expect(await bed.row(timer.timerId)).toMatchObject({ state: 'fired' }));
      await sleep(SETTLE_MS);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
      expect(dispatcher.status()).toMatchObject({ running: true, fired: 1, failed: 0 });
    });

    it('never fires a timer cancelled before it is due (while one beside it fires)', async () => {
      const dispatcher = await started();
      const cancelled = await bed.scheduleTimer(800);
      const control = await bed.scheduleTimer(800);
      await dispatcher.schedule([cancelled, control]);
      await bed.cancelTimer(cancelled);
      expect(await bed.row(cancelled.timerId)).toMatchObject({ state: 'cancelled' });
      await eventually(() => expect(bed.callsOf(control.timerId)).toHaveLength(1), { timeoutMs: 5000 });
      await sleep(SETTLE_MS);
      expect(bed.callsOf(cancelled.timerId)).toEqual([]);
      expect(await bed.row(cancelled.timerId)).toMatchObject({ state: 'cancelled' });
    });

    it('fires once across a restart: A stops before the due time, B starts and fires it', async () => {
      const a = await started();
      const timer = await bed.scheduleTimer(2000);
      await a.schedule([timer]);
      await sleep(500);
      await a.stop();
      expect(bed.callsOf(timer.timerId)).toEqual([]);
      await started();
      await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 8000 });
      expect(bed.callsOf(timer.timerId)[0]).toBeGreaterThanOrEqual(timer.dueAt.getTime());
      await sleep(SETTLE_MS);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
    });

    it('fires every timer exactly once with two dispatchers running at once', async () => {
      const [a, b] = [await started(), await started()];
      const timers: ScheduledTimer[] = [];
      for (let i = 0; i < 60; i++) timers.push(await bed.scheduleTimer(1000 + (i % 10) * 100));
      await a.schedule(timers.slice(0, 30));
      await b.schedule(timers.slice(30));
      await eventually(() => expect(timers.filter((t) => bed.callsOf(t.timerId).length > 0)).toHaveLength(60), {
        timeoutMs: 10_000,
      });
      await sleep(SETTLE_MS);
      expect(timers.map((t) => bed.callsOf(t.timerId).length)).toEqual(timers.map(() => 1));
      expect(a.status().fired + b.status().fired).toBe(60);
    });

    it('fires a timer whose schedule call never came (a crash between append and schedule)', async () => {
      await started();
      const timer = await bed.scheduleTimer(500);
      await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 8000 });
      await sleep(SETTLE_MS);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
    });

    it('retries a throwing fire with backoff until it succeeds, without holding up the others', async () => {
      const dispatcher = await started();
      const failing = await bed.scheduleTimer(300);
      bed.behave(failing.timerId, 'throw', 'throw', 'throw');
      const others: ScheduledTimer[] = [];
      for (let i = 0; i < 5; i++) others.push(await bed.scheduleTimer(500 + i * 100));
      await dispatcher.schedule([failing, ...others]);
      await eventually(() => expect(bed.callsOf(failing.timerId)).toHaveLength(4), { timeoutMs: 15_000 });
      await eventually(async () => expect(await bed.row(failing.timerId)).toMatchObject({ state: 'fired' }));
      const row = await bed.row(failing.timerId);
      expect(row?.attempts).toBe(3);
      expect(row?.lastError).toContain('failed on purpose');
      const calls = bed.callsOf(failing.timerId);
      // Each retry waits longer than the one before (base 200 ms, doubling, capped at 1 s).
      const gaps = calls.slice(1).map((t, i) => t - calls[i]);
      expect(gaps[0]).toBeGreaterThanOrEqual(150);
      expect(gaps[1]).toBeGreaterThan(gaps[0]);
      for (const other of others) {
        expect(bed.callsOf(other.timerId)).toHaveLength(1);
        expect(bed.callsOf(other.timerId)[0]).toBeLessThan(calls[calls.length - 1]);
      }
      await sleep(SETTLE_MS);
      expect(bed.callsOf(failing.timerId)).toHaveLength(4);
      expect(dispatcher.status()).toMatchObject({ failed: 3 });
    });

    it('gives up on a fire that hangs after fireTimeoutMs and retries it; the others fire meanwhile', async () => {
      const dispatcher = await started();
      const hanging = await bed.scheduleTimer(300);
      bed.behave(hanging.timerId, 'hang');
      const other = await bed.scheduleTimer(600);
      await dispatcher.schedule([hanging, other]);
      await eventually(() => expect(bed.callsOf(other.timerId)).toHaveLength(1), { timeoutMs: 5000 });
      expect(bed.callsOf(hanging.timerId)).toHaveLength(1);
      await eventually(async () => expect(await bed.row(hanging.timerId)).toMatchObject({ state: 'fired' }), {
        timeoutMs: 10_000,
      });
      expect(bed.callsOf(hanging.timerId)).toHaveLength(2);
      expect((await bed.row(hanging.timerId))?.lastError).toContain('did not answer');
    });

    it('cancels the row of a timer that fire calls stale, and does not fire it again', async () => {
      const dispatcher = await started();
      const timer = await bed.scheduleTimer(300);
      bed.behave(timer.timerId, 'stale');
      await dispatcher.schedule([timer]);
      await eventually(async () => expect(await bed.row(timer.timerId)).toMatchObject({ state: 'cancelled' }), {
        timeoutMs: 5000,
      });
      await sleep(SETTLE_MS);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
      expect(dispatcher.status()).toMatchObject({ stale: 1 });
    });
  });

  return { bed: () => bed, started };
}
