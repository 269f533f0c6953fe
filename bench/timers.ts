/**
 * Durable mission timers (issue 10): timers fired per second when 100,000 fall due within ~2 s, for
 * each dispatcher of `@meridian/workflow/data-access-timers` (the Postgres poller and BullMQ on Redis).
 *
 *   node -r @swc-node/register bench/timers.ts [poller] [bullmq] [--timers=100000] [--scale=0.1]
 *
 * Per dispatcher, in a schema of its own (dropped at the end): the dispatcher runs while the
 * timers are scheduled as the mission decider schedules them — `mission.timer-scheduled.v1` events
 * appended in chunks of 5,000 (one statement each, the trigger writing the rows), each chunk handed
 * to `schedule()` — all due in a 2 s window that opens once scheduling is done (lead time: 2.5 × the
 * baseline's scheduling time + 3 s; an overrun is reported). `fire` appends `mission.timer-fired.v1`
 * through PgEventStore, as the mission command would (without its load and decide). Measured from
 * the window's opening to the last firing: timers fired per second; lateness (settled − due) from
 * the rows.
 * Baseline, same run: the same `fire` called directly on the same number of timers at the same
 * concurrency, no dispatcher — what firing itself costs.
 *
 * Environment: BENCH_PG_URL, BENCH_POOL_SIZE, REDIS_URL (`redis://host:port/db`; the BullMQ run's
 * keys are deleted at the end), BENCH_SCALE. Not registered in bench/run.ts (that file is not this
 * benchmark's); `timersBenchmark` is the entry point for it.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import Redis from 'ioredis';
import type { NewEvent } from '@meridian/shared/decider';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { stableUuid } from '@meridian/shared/util';
import {
  createTimerDispatcher,
  type DueTimer,
  type FireTimer,
  scheduledTimersOf,
  TIMER_DISPATCHER_KINDS,
  TimerEventTypes,
  type TimerDispatcherKind,
  timerMigrationsFor,
  type TimerScheduledData,
} from '@meridian/workflow/data-access-timers';
import { type BenchResult, fmt, now, result, round, runWorkers, say, scaled, withTicker } from './harness';
import { dropSchema, ensureDatabase, infraConfig, newPool, warmPool } from './infra';

export interface TimersParams {
  readonly timers: number;
  /** The window the due times spread over. */
  readonly spreadMs: number;
  readonly chunk: number;
  /** Firings in flight per dispatcher (and for the baseline). */
  readonly concurrency: number;
  readonly kinds: readonly TimerDispatcherKind[];
  readonly redisUrl: string;
  /** Gives up when nothing fired for this long. */
  readonly stallMs: number;
}

/** One dispatcher's run, for the table. */
interface TimersRun {
  readonly kind: string;
  readonly scheduleSeconds: number;
  readonly scheduledPerSecond: number;
  /** The lead time ran out before scheduling finished (the window opened early). */
  readonly overran: boolean;
  readonly fired: number;
  readonly duplicates: number;
  readonly drainSeconds: number;
  readonly firedPerSecond: number;
  readonly latenessMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The mission command's effect: `mission.timer-fired.v1`, idempotent by its derived event id. */
function firingInto(store: PgEventStore, calls: Map<string, number>, last: { at: number }): FireTimer {
  return async (timer: DueTimer) => {
    calls.set(timer.timerId, (calls.get(timer.timerId) ?? 0) + 1);
    await store.append(timer.streamId, 'any', [
      {
        id: stableUuid(`timer-fired:${timer.timerId}`),
        type: TimerEventTypes.fired,
        data: { missionId: timer.missionId, timerId: timer.timerId, firedAt: new Date().toISOString() },
      },
    ]);
    last.at = now();
    return 'fired';
  };
}

function scheduledEvent(dueAt: Date): NewEvent & { readonly streamId: string } {
  const missionId = randomUUID();
  const data: TimerScheduledData = {
    missionId,
    tenantId: 'bench',
    timerId: randomUUID(),
    sendId: 'deadline',
    event: 'deadline',
    dueAt: dueAt.toISOString(),
  };
  return { streamId: `mission-${missionId}`, id: randomUUID(), type: TimerEventTypes.scheduled, data };
}

async function freshTimersSchema(pool: Pool, schema: string): Promise<PgEventStore> {
  await migrate(pool, schema, [...eventStoreMigrations(schema), ...timerMigrationsFor(schema)]);
  return new PgEventStore(pool, schema);
}

async function lateness(pool: Pool, schema: string): Promise<TimersRun['latenessMs']> {
  const { rows } = await pool.query<{ p50: number; p99: number; max: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
     FROM (SELECT (extract(epoch FROM settled_at - due_at) * 1000)::float8 AS ms
           FROM ${schema}.timers WHERE state = 'fired') l`,
  );
  return { p50: round(rows[0].p50 ?? NaN), p99: round(rows[0].p99 ?? NaN), max: round(rows[0].max ?? NaN) };
}

/** Schedules the timers (dispatcher running), waits for the window, and measures the drain. */
async function dispatcherRun(
  pool: Pool,
  schema: string,
  kind: TimerDispatcherKind,
  p: TimersParams,
  leadMs: number,
): Promise<TimersRun> {
  const store = await freshTimersSchema(pool, schema);
  const calls = new Map<string, number>();
  const last = { at: 0 };
  const dispatcher = createTimerDispatcher(kind, {
    pool,
    schema,
    fire: firingInto(store, calls, last),
    concurrency: p.concurrency,
    redisUrl: p.redisUrl,
    log: {
      info: () => undefined,
      warn: (_o, m) => say(`  ${kind} warn: ${m}`),
      error: (_o, m) => say(`  ${kind} error: ${m}`),
    },
  });
  await dispatcher.start();
  try {
    const started = now();
    const windowStart = Date.now() + leadMs;
    say(
      `  ${kind}: scheduling ${fmt(p.timers)} timers; ` +
        `the ${fmt(p.spreadMs / 1000)} s window opens in ${fmt(leadMs / 1000)} s`,
    );
    for (let from = 0; from < p.timers; from += p.chunk) {
      const events = Array.from({ length: Math.min(p.chunk, p.timers - from) }, (_, j) =>
        scheduledEvent(new Date(windowStart + (p.spreadMs * (from + j)) / p.timers)),
      );
      await store.appendToStreams(events, pool);
      await dispatcher.schedule(scheduledTimersOf(events));
      if ((from / p.chunk) % 4 === 3) say(`  … ${kind}: ${fmt(from + events.length)} scheduled`);
    }
    const scheduleSeconds = (now() - started) / 1000;
    const overran = Date.now() > windowStart;
    if (overran) say(`  ${kind}: scheduling overran the lead time by ${fmt((Date.now() - windowStart) / 1000)} s`);
    await sleep(windowStart - Date.now());
    const opened = now();
    let lastCount = 0;
    let lastProgress = now();
    const drained = (async () => {
      while (calls.size < p.timers) {
        await sleep(100);
        if (calls.size !== lastCount) [lastCount, lastProgress] = [calls.size, now()];
        else if (now() - lastProgress > p.stallMs) throw new Error(`${kind}: stalled at ${calls.size} fired`);
      }
    })();
    await withTicker(drained, () => `${kind}: ${fmt(calls.size)} / ${fmt(p.timers)} fired`);
    await sleep(1000); // late duplicates would show up now
    const drainSeconds = (last.at - opened) / 1000;
    const fired = calls.size;
    const duplicates = [...calls.values()].reduce((n, c) => n + c - 1, 0);
    return {
      kind,
      scheduleSeconds: round(scheduleSeconds),
      scheduledPerSecond: round(p.timers / scheduleSeconds),
      overran,
      fired,
      duplicates,
      drainSeconds: round(drainSeconds),
      firedPerSecond: round(fired / Math.max(drainSeconds, 1e-3)),
      latenessMs: await lateness(pool, schema),
    };
  } finally {
    await dispatcher.stop();
  }
}

/** `fire` straight on the rows, same concurrency, no dispatcher: what the firing itself costs. */
async function directRun(
  pool: Pool,
  schema: string,
  p: TimersParams,
): Promise<{ readonly firedPerSecond: number; readonly scheduleMs: number }> {
  const store = await freshTimersSchema(pool, schema);
  const timers: DueTimer[] = [];
  const scheduling = now();
  for (let from = 0; from < p.timers; from += p.chunk) {
    const events = Array.from({ length: Math.min(p.chunk, p.timers - from) }, () => scheduledEvent(new Date()));
    await store.appendToStreams(events, pool);
    for (const e of events) {
      const d = e.data as TimerScheduledData;
      timers.push({ ...d, streamId: e.streamId, dueAt: new Date(d.dueAt), attempts: 0 });
    }
  }
  const scheduleMs = now() - scheduling;
  const calls = new Map<string, number>();
  const fire = firingInto(store, calls, { at: 0 });
  const started = now();
  await withTicker(
    runWorkers(p.concurrency, timers.length, async (i) => void (await fire(timers[i]))),
    () => `direct: ${fmt(calls.size)} / ${fmt(p.timers)} fired`,
  );
  return { firedPerSecond: timers.length / ((now() - started) / 1000), scheduleMs };
}

function table(runs: readonly TimersRun[], direct: number): string {
  const head =
    '| dispatcher | scheduled/s | fired | duplicates | drain s | fired/s | vs direct | late p50 | p99 | max ms |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = runs.map(
    (r) =>
      `| ${r.kind}${r.overran ? ' (window opened during scheduling)' : ''} | ${fmt(r.scheduledPerSecond)} | ` +
      `${fmt(r.fired)} | ${r.duplicates} | ${fmt(r.drainSeconds)} | ${fmt(r.firedPerSecond)} | ` +
      `${fmt(r.firedPerSecond / direct)} | ${fmt(r.latenessMs.p50)} | ${fmt(r.latenessMs.p99)} | ` +
      `${fmt(r.latenessMs.max)} |`,
  );
  return [head, rule, ...rows, `| direct fire (baseline) | | | | | ${fmt(direct)} | 1 | | | |`].join('\n');
}

/** Drops BullMQ's keys of the run's schemas (SCAN + UNLINK on the given database only). */
async function dropRedisKeys(redisUrl: string, schemas: readonly string[]): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const schema of schemas) {
      for (const pattern of [`meridian:timers-${schema}:*`, `meridian:timers-rebuilt:${schema}`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (keys.length) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
    }
  } finally {
    redis.disconnect();
  }
}

export async function timersBenchmark(pool: Pool, runId: string, p: TimersParams): Promise<BenchResult[]> {
  const schemas: string[] = [];
  const schemaFor = (name: string) => {
    const schema = `bench_timers_${runId}_${name}`;
    schemas.push(schema);
    return schema;
  };
  try {
    say(`timers baseline: fire called directly on ${fmt(p.timers)} timers, ${p.concurrency} at a time`);
    const baseline = await directRun(pool, schemaFor('direct'), p);
    const direct = baseline.firedPerSecond;
    // The dispatcher runs' windows open once their scheduling is done: as long as it took here, and then some.
    const leadMs = Math.ceil(baseline.scheduleMs * 2.5) + 3000;
    say(`  direct: ${fmt(direct)} timers/s (scheduling took ${fmt(baseline.scheduleMs / 1000)} s)`);
    const runs: TimersRun[] = [];
    for (const kind of p.kinds) {
      say(`timers: ${kind}, ${fmt(p.timers)} timers due within ${fmt(p.spreadMs / 1000)} s`);
      const run = await dispatcherRun(pool, schemaFor(kind), kind, p, leadMs);
      runs.push(run);
      say(
        `  ${kind}: ${fmt(run.firedPerSecond)} timers/s (${fmt(run.fired)} in ${fmt(run.drainSeconds)} s, ` +
          `${run.duplicates} duplicates), lateness p50 ${fmt(run.latenessMs.p50)} ms p99 ${fmt(run.latenessMs.p99)} ms`,
      );
    }
    process.stdout.write(`\n${table(runs, direct)}\n\n`);
    return runs.map((r) =>
      result({
        name: `timers-${r.kind}`,
        title: `Timers fired/s, ${r.kind}, ${fmt(p.timers)} due within ${fmt(p.spreadMs / 1000)} s`,
        value: r.firedPerSecond,
        unit: 'timers/s',
        baseline: direct,
        baselineName: 'fire called directly',
        valueName: r.kind,
        better: 'higher',
        parameters: { ...p, redisUrl: undefined },
        details: { ...r },
      }),
    );
  } finally {
    for (const schema of schemas) await dropSchema(pool, schema).catch(() => undefined);
    if (p.kinds.includes('bullmq')) {
      await dropRedisKeys(p.redisUrl, schemas).catch((err: Error) =>
        say(`could not delete Redis keys: ${err.message}`),
      );
    }
  }
}

export function timersParams(argv: readonly string[], scale: number): TimersParams {
  const kinds = argv.filter((a): a is TimerDispatcherKind => (TIMER_DISPATCHER_KINDS as readonly string[]).includes(a));
  const count = argv.find((a) => a.startsWith('--timers='));
  return {
    timers: count ? Number(count.slice('--timers='.length)) : scaled(100_000, scale, 1000),
    spreadMs: 2000,
    chunk: 5000,
    concurrency: 64,
    kinds: kinds.length ? kinds : TIMER_DISPATCHER_KINDS,
    redisUrl: process.env.REDIS_URL || `redis://127.0.0.1:${process.env.MERIDIAN_REDIS_PORT || '6379'}`,
    stallMs: 30_000,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scaleArg = argv.find((a) => a.startsWith('--scale='));
  const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : Number(process.env.BENCH_SCALE ?? 1);
  const config = infraConfig();
  await ensureDatabase(config.pgUrl);
  const pool = newPool(config);
  try {
    await warmPool(pool, config.poolSize);
    const runId = `${Date.now().toString(36)}`;
    const results = await timersBenchmark(pool, runId, timersParams(argv, scale));
    results.forEach((r) => say(`${r.title}: ${fmt(r.value)} ${r.unit}, ratio to direct ${fmt(r.ratio)}`));
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    say(`timers benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
