import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Redis from 'ioredis';
import { eventually, FaultProxy } from '@meridian/shared/testing';
import { sleep } from '@meridian/shared/util';
import { BullmqTimers, type BullmqTimersOptions } from './bullmq-timers';
import { createTimerDispatcher } from './create-timer-dispatcher';
import type { ScheduledTimer } from './timer.events';
import { timerDispatcherConformance } from './timer-dispatcher.conformance';
import type { TimerTestBed } from './timer-test-bed';

// This helper's own Redis database (the machine's Redis is shared): TEST_TIMERS_REDIS_DB, default 5.
const base = new URL(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
base.pathname = `/${process.env['TEST_TIMERS_REDIS_DB'] ?? '5'}`;
const redisUrl = base.toString();

const options = (bed: TimerTestBed, more: Partial<BullmqTimersOptions> = {}): BullmqTimersOptions => ({
  pool: bed.pool,
  schema: bed.schema,
  fire: bed.fire,
  log: bed.log,
  redisUrl,
  retry: { baseMs: 200, maxMs: 1000 },
  fireTimeoutMs: 1000,
  reconcileMs: 500,
  reconnectMaxMs: 300,
  ...more,
});

const unhandled: unknown[] = [];
const collect = (reason: unknown): void => void unhandled.push(reason);
let redis: Redis;

beforeAll(async () => {
  process.on('unhandledRejection', collect);
  redis = new Redis(redisUrl);
  await redis.flushdb();
});

afterAll(async () => {
  process.off('unhandledRejection', collect);
  await redis?.flushdb();
  redis?.disconnect();
});

const suite = timerDispatcherConformance('bullmq', (bed) => new BullmqTimers(options(bed)));

describe('BullmqTimers', () => {
  it('keeps timer jobs in Redis (job id = timer id) until they fire, and drops a cancelled one', async () => {
    const bed = suite.bed();
    const logsBefore = bed.logs.length;
    // No periodic reconciliation during the test: the jobs come from schedule() alone.
    const timers = await suite.started(() => new BullmqTimers(options(bed, { reconcileMs: 60_000 })));
    await eventually(() =>
      expect(bed.logs.slice(logsBefore).map((l) => l.msg)).toContain('timer jobs rebuilt from PostgreSQL'),
    );
    const kept = await bed.scheduleTimer(1500);
    const cancelled = await bed.scheduleTimer(1500);
    await timers.schedule([kept, cancelled]);
    const jobKey = (id: string) => `meridian:timers-${bed.schema}:${id}`;
    expect(await redis.exists(jobKey(kept.timerId), jobKey(cancelled.timerId))).toBe(2);
    await bed.cancelTimer(cancelled);
    await eventually(() => expect(bed.callsOf(kept.timerId)).toHaveLength(1), { timeoutMs: 5000 });
    await eventually(async () => expect(await redis.exists(jobKey(cancelled.timerId))).toBe(0));
    expect(bed.callsOf(cancelled.timerId)).toEqual([]);
    // BullMQ removes a completed job after its processor returns, i.e. after the call was recorded.
    await eventually(async () => expect(await redis.exists(jobKey(kept.timerId))).toBe(0));
  });

  it('fires once after Redis loses everything before the due time (FLUSHDB here stands for FLUSHALL)', async () => {
    const bed = suite.bed();
    const rebuilds = (from: number) =>
      bed.logs.slice(from).filter((l) => l.msg === 'timer jobs rebuilt from PostgreSQL');
    const logsBefore = bed.logs.length;
    const timers = await suite.started();
    const timer = await bed.scheduleTimer(2000);
    await timers.schedule([timer]);
    await eventually(() => expect(rebuilds(logsBefore)).toHaveLength(1));
    expect(await redis.exists(`meridian:timers-rebuilt:${bed.schema}`)).toBe(1);
    // FLUSHALL would empty every database of the shared Redis; FLUSHDB empties only this test's,
    // which holds all of this dispatcher's keys: the jobs and the rebuild marker.
    await redis.flushdb();
    expect(await redis.dbsize()).toBe(0);
    await eventually(() => expect(rebuilds(logsBefore)).toHaveLength(2));
    await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 8000 });
    expect(bed.callsOf(timer.timerId)[0]).toBeGreaterThanOrEqual(timer.dueAt.getTime());
    await sleep(1500);
    expect(bed.callsOf(timer.timerId)).toHaveLength(1);
  });

  it('rebuilds ten timers that the reconciliations had already passed when Redis was flushed', async () => {
    const bed = suite.bed();
    const timers = await suite.started();
    await eventually(() => expect(timers.status().redis).toBe('up'));
    const due: ScheduledTimer[] = [];
    for (let i = 0; i < 10; i++) due.push(await bed.scheduleTimer(2500));
    await timers.schedule(due);
    await sleep(1200); // two reconciliations: their watermark is past these rows, only the marker tells
    await redis.flushdb(); // stands for FLUSHALL, as above
    await eventually(() => expect(due.filter((t) => bed.callsOf(t.timerId).length === 1)).toHaveLength(10), {
      timeoutMs: 10_000,
    });
    await sleep(1500);
    expect(due.map((t) => bed.callsOf(t.timerId).length)).toEqual(due.map(() => 1));
  });

  it('starts against an unreachable Redis without failing, reports it, and fires once Redis is back', async () => {
    const bed = suite.bed();
    const logs = () => bed.logs.slice(logsBefore);
    const logsBefore = bed.logs.length;
    const proxy = new FaultProxy({ targetHost: base.hostname, targetPort: Number(base.port || 6379) });
    await proxy.start();
    await proxy.cut(); // the port no longer listens: connections are refused
    try {
      const url = new URL(redisUrl);
      url.port = String(proxy.port);
      const timers = await suite.started(() =>
        createTimerDispatcher('bullmq', options(bed, { redisUrl: url.toString() })),
      );
      const timer = await bed.scheduleTimer(300);
      // Returns at once (Redis is known to be down): the append's caller is never held up.
      const started = Date.now();
      await timers.schedule([timer]);
      expect(Date.now() - started).toBeLessThan(500);
      await eventually(() =>
        expect(logs().some((l) => l.level === 'error' && l.msg.startsWith('Redis unreachable'))).toBe(true),
      );
      await sleep(1500);
      expect(timers.status()).toMatchObject({ kind: 'bullmq', running: true, redis: 'down' });
      expect(timers.status().lastError).toMatch(/ECONNREFUSED/);
      expect(bed.callsOf(timer.timerId)).toEqual([]);

      await proxy.restore();
      await eventually(() => expect(timers.status().redis).toBe('up'), { timeoutMs: 5000 });
      await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 8000 });
      expect(logs().some((l) => l.msg === 'Redis is back; rebuilding timer jobs')).toBe(true);
      await sleep(1000);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('survives Redis going away while running: the timer due during the outage fires once after it', async () => {
    const bed = suite.bed();
    const proxy = new FaultProxy({ targetHost: base.hostname, targetPort: Number(base.port || 6379) });
    await proxy.start();
    try {
      const url = new URL(redisUrl);
      url.port = String(proxy.port);
      const timers = await suite.started(() => new BullmqTimers(options(bed, { redisUrl: url.toString() })));
      await eventually(() => expect(timers.status().redis).toBe('up'));
      const timer = await bed.scheduleTimer(800);
      await timers.schedule([timer]);
      await proxy.cut();
      await eventually(() => expect(timers.status().redis).toBe('down'));
      await sleep(1000); // past the due time
      expect(bed.callsOf(timer.timerId)).toEqual([]);
      await proxy.restore();
      await eventually(() => expect(bed.callsOf(timer.timerId)).toHaveLength(1), { timeoutMs: 10_000 });
      await sleep(1000);
      expect(bed.callsOf(timer.timerId)).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
