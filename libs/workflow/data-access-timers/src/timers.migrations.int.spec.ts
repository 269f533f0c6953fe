import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { describePlanNode, explainPlan, sentQuery } from '@meridian/shared/testing';
import { TimerEventTypes, type TimerScheduledData } from './timer.events';
import { DEFAULT_RETRY } from './timer-dispatcher';
import { TimerRows } from './timer-rows';
import { TimerTestBed } from './timer-test-bed';

let bed: TimerTestBed;

beforeAll(async () => {
  bed = await TimerTestBed.create('timer_rows');
});

afterAll(async () => {
  await bed?.close();
});

const scheduledData = (over: Partial<TimerScheduledData> = {}): TimerScheduledData => ({
  missionId: randomUUID(),
  tenantId: 'acme',
  timerId: randomUUID(),
  sendId: 'deadline',
  event: 'deadline',
  dueAt: '2031-05-01T10:15:00.000Z',
  ...over,
});

const append = (streamId: string, ...events: { type: string; data: unknown }[]) =>
  bed.store.append(
    streamId,
    'any',
    events.map((e) => ({ id: randomUUID(), ...e })),
  );

const fullRow = async (timerId: string) =>
  (await bed.pool.query(`SELECT * FROM ${bed.schema}.timers WHERE timer_id = $1`, [timerId])).rows[0];

describe('timers table kept by the trigger on the event store', () => {
  it('writes a pending row from mission.timer-scheduled.v1, with the stream and the due time', async () => {
    const data = scheduledData();
    await append(`mission-${data.missionId}`, { type: TimerEventTypes.scheduled, data });
    expect(await fullRow(data.timerId)).toMatchObject({
      timer_id: data.timerId,
      stream_id: `mission-${data.missionId}`,
      tenant_id: 'acme',
      mission_id: data.missionId,
      send_id: 'deadline',
      event: 'deadline',
      due_at: new Date(data.dueAt),
      next_attempt_at: new Date(data.dueAt),
      state: 'pending',
      attempts: 0,
      last_error: null,
      settled_at: null,
    });
  });

  it('commits the row with its event or not at all: a rolled-back append leaves no timer', async () => {
    const data = scheduledData();
    const client = await bed.pool.connect();
    try {
      await client.query('BEGIN');
      await bed.store.appendToStreams(
        [{ streamId: `mission-${data.missionId}`, id: randomUUID(), type: TimerEventTypes.scheduled, data }],
        client,
      );
      const { rows } = await client.query(`SELECT 1 FROM ${bed.schema}.timers WHERE timer_id = $1`, [data.timerId]);
      expect(rows).toHaveLength(1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await bed.row(data.timerId)).toBeNull();
  });

  it('fails the append of a malformed timer event rather than store an event without its timer', async () => {
    const missionId = randomUUID();
    const bad = { ...scheduledData({ missionId }), timerId: undefined };
    await expect(append(`mission-${missionId}`, { type: TimerEventTypes.scheduled, data: bad })).rejects.toThrow();
    expect(await bed.store.readStream(`mission-${missionId}`)).toEqual([]);
  });

  it('settles cancelled and fired rows for good: neither goes back, nor turns into the other', async () => {
    const [a, b] = [scheduledData(), scheduledData()];
    await append(`mission-${a.missionId}`, { type: TimerEventTypes.scheduled, data: a });
    await append(`mission-${b.missionId}`, { type: TimerEventTypes.scheduled, data: b });
    const ids = (d: TimerScheduledData) => ({ missionId: d.missionId, timerId: d.timerId });
    await append(`mission-${a.missionId}`, { type: TimerEventTypes.cancelled, data: { ...ids(a), cancelledAt: '' } });
    await append(`mission-${b.missionId}`, { type: TimerEventTypes.fired, data: { ...ids(b), firedAt: '' } });
    // Late or repeated events of either kind, and a re-scheduling of the same timer id:
    await append(`mission-${a.missionId}`, { type: TimerEventTypes.fired, data: { ...ids(a), firedAt: '' } });
    await append(`mission-${b.missionId}`, { type: TimerEventTypes.cancelled, data: { ...ids(b), cancelledAt: '' } });
    await append(`mission-${a.missionId}`, {
      type: TimerEventTypes.scheduled,
      data: { ...a, dueAt: '2040-01-01T00:00:00Z' },
    });
    expect(await fullRow(a.timerId)).toMatchObject({ state: 'cancelled', due_at: new Date(a.dueAt) });
    expect(await fullRow(b.timerId)).toMatchObject({ state: 'fired' });
    expect((await fullRow(b.timerId)).settled_at).toBeInstanceOf(Date);
  });

  it('keeps the first schedule of a timer id, and cancels one scheduled and cancelled in one append', async () => {
    const once = scheduledData();
    await append(`mission-${once.missionId}`, { type: TimerEventTypes.scheduled, data: once });
    await append(`mission-${once.missionId}`, {
      type: TimerEventTypes.scheduled,
      data: { ...once, dueAt: '2032-01-01T00:00:00.000Z', event: 'other' },
    });
    expect(await fullRow(once.timerId)).toMatchObject({
      state: 'pending',
      event: 'deadline',
      due_at: new Date(once.dueAt),
    });
    const both = scheduledData();
    await append(
      `mission-${both.missionId}`,
      { type: TimerEventTypes.scheduled, data: both },
      { type: TimerEventTypes.cancelled, data: { missionId: both.missionId, timerId: both.timerId, cancelledAt: '' } },
    );
    expect(await bed.row(both.timerId)).toMatchObject({ state: 'cancelled' });
  });

  it("leaves the table alone for other events, even ones naming a timer's id", async () => {
    const data = scheduledData();
    await append(`mission-${data.missionId}`, { type: 'mission.transitioned.v1', data });
    expect(await bed.row(data.timerId)).toBeNull();
  });
});

describe('TimerRows queries use the indexes on pending timers', () => {
  it('claims, finds the next due and reads new rows by index, among 20,000 settled and 20,000 pending', async () => {
    await bed.pool.query(
      `INSERT INTO ${bed.schema}.timers (timer_id, stream_id, tenant_id, mission_id, send_id, event, due_at,
         next_attempt_at, state, settled_at)
       SELECT gen_random_uuid(), 'mission-x', 'acme', gen_random_uuid(), 'deadline', 'deadline', now(), now(),
              'fired', now()
       FROM generate_series(1, 20000)`,
    );
    // And a backlog of pending ones, due next year.
    await bed.pool.query(
      `INSERT INTO ${bed.schema}.timers (timer_id, stream_id, tenant_id, mission_id, send_id, event, due_at,
         next_attempt_at)
       SELECT gen_random_uuid(), 'mission-x', 'acme', gen_random_uuid(), 'deadline', 'deadline',
              now() + interval '1 year', now() + interval '1 year'
       FROM generate_series(1, 20000)`,
    );
    await bed.pool.query(`ANALYZE ${bed.schema}.timers`);
    const rows = new TimerRows(bed.pool, bed.schema);
    const spy = jest.spyOn(bed.pool, 'query');
    try {
      await rows.claimDue(100, 60_000);
      await rows.msUntilNextDue();
      const { xmin } = await rows.pendingPage(null, 1000, null);
      await rows.pendingPage(null, 1000, xmin);
      await rows.settle([{ timerId: randomUUID(), firing: { outcome: 'fired' } }], DEFAULT_RETRY);
      const sent = spy.mock.calls.map((c) => sentQuery([c[0], c[1] ?? []]));
      spy.mockRestore();
      const plans = await Promise.all(sent.map(async (q) => (await explainPlan(bed.pool, q)).map(describePlanNode)));
      const timersScans = plans.map((p) => p.filter((n) => n.endsWith(' on timers')));
      expect(timersScans[0]).toEqual(expect.arrayContaining([expect.stringContaining('using timers_due')]));
      expect(timersScans[1]).toEqual(expect.arrayContaining([expect.stringContaining('using timers_due')]));
      expect(timersScans[3]).toEqual(expect.arrayContaining([expect.stringContaining('using timers_scheduled')]));
      expect(timersScans[4]).toEqual(expect.arrayContaining([expect.stringContaining('using timers_pkey')]));
      // The full rebuild's page too (by the key or by a partial index: the planner's choice).
      for (const scans of timersScans) {
        expect(scans.some((n) => n.includes('Index') && n.includes(' using '))).toBe(true);
        expect(scans.some((n) => n.startsWith('Seq Scan'))).toBe(false);
      }
    } finally {
      spy.mockRestore();
    }
  });
});
