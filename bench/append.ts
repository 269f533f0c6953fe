/**
 * Benchmarks 1 and 2: appends through PgEventStore (plpgsql `append_events`: version check,
 * stream bump, insert) against plain INSERTs of the same rows into `plain_events`, a table with
 * the same columns and indexes, from the same number of concurrent writers on the same pool.
 *
 * Every stream receives one append call per round, so no two writers ever race on a stream and
 * every store append uses an exact expected version (the command path), never a conflict.
 * Each round is cut into slices of streams and the two sides take turns on every slice, the
 * first side alternating (ABBA…), so table growth, background work (checkpoints, autovacuum)
 * and outside load hit both sides alike; a CHECKPOINT precedes every timed segment.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { NewEvent } from '@meridian/shared/decider';
import type { PgEventStore } from '@meridian/shared/event-store';
import { assetEvents } from './fixtures';
import { type BenchResult, fmt, median, now, percentile, result, round, runWorkers, say, withTicker } from './harness';
import { checkpoint } from './infra';

export interface AppendParams {
  readonly writers: number;
  readonly streams: number;
  /** Events per append call (1: single-event appends; 100: batched). */
  readonly eventsPerCall: number;
  /** Append calls per side; rounded up to whole rounds of one call per stream. */
  readonly calls: number;
  readonly poolSize: number;
  readonly warmupCalls: number;
  /** Timed segments per round; the sides alternate on every segment. */
  readonly slicesPerRound: number;
}

type AppendCall = (streamId: string, expected: number, events: readonly NewEvent[]) => Promise<void>;

const singleInsert = (schema: string): string =>
  `INSERT INTO ${schema}.plain_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
   VALUES ($1, $2, $3, $4, $5, $6, $7)`;

/** The same multi-row insert `append_events` does, minus the stream bookkeeping. */
const unnestInsert = (schema: string): string =>
  `INSERT INTO ${schema}.plain_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
   SELECT $1, $2 + x.ord::int, x.id, x.t, x.sv, x.d, x.m
   FROM unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) WITH ORDINALITY AS x(id, t, sv, d, m, ord)`;

export function storeAppend(store: PgEventStore): AppendCall {
  return async (streamId, expected, events) => {
    await store.append(streamId, expected, events);
  };
}

/** Baseline for single events: one parameterized INSERT per event (same JSON encoding work). */
export function plainInsert(pool: Pool, schema: string): AppendCall {
  const sql = singleInsert(schema);
  return async (streamId, expected, events) => {
    if (events.length !== 1) throw new Error('plainInsert takes exactly one event');
    const e = events[0];
    await pool.query(sql, [
      streamId,
      expected + 1,
      e.id,
      e.type,
      e.schemaVersion ?? 1,
      JSON.stringify(e.data),
      JSON.stringify(e.metadata ?? {}),
    ]);
  };
}

/** Baseline for batches: one multi-row INSERT … SELECT FROM unnest(arrays), parameters encoded as the store does. */
export function plainUnnest(pool: Pool, sql: string): AppendCall {
  return async (streamId, expected, events) => {
    await pool.query(sql, [
      streamId,
      expected,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion ?? 1),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata ?? {})),
    ]);
  };
}

interface SideStats {
  events: number;
  ms: number;
  latencies: number[];
  perSegment: number[];
}

interface Side {
  readonly name: string;
  readonly call: AppendCall;
  readonly stats: SideStats;
}

export async function appendBenchmark(
  pool: Pool,
  schema: string,
  store: PgEventStore,
  params: AppendParams,
  label: { name: string; title: string },
): Promise<BenchResult> {
  const { writers, streams, eventsPerCall: k } = params;
  const rounds = Math.max(1, Math.ceil(params.calls / streams));
  const streamIds = Array.from({ length: streams }, () => randomUUID());
  const newStats = (): SideStats => ({ events: 0, ms: 0, latencies: [], perSegment: [] });
  const storeSide: Side = { name: 'store', call: storeAppend(store), stats: newStats() };
  const baseSide: Side = {
    name: 'baseline',
    call: k === 1 ? plainInsert(pool, schema) : plainUnnest(pool, unnestInsert(schema)),
    stats: newStats(),
  };

  // Warm-up: compiles append_events in every pooled session and warms both tables' indexes.
  const warmIds = Array.from({ length: params.warmupCalls }, () => randomUUID());
  for (const side of [baseSide, storeSide]) {
    await runWorkers(writers, warmIds.length, (i) =>
      side.call(`warmup-${warmIds[i]}`, 0, assetEvents(warmIds[i], 1, k)),
    );
  }
  say(
    `  warm-up done (${params.warmupCalls} calls per side); ${rounds} rounds × ${fmt(streams)} streams × ${k} ` +
      `event(s) per call, ${params.slicesPerRound} slices per round`,
  );

  // Segments: each round is cut into slices of streams; the two sides take turns on every slice,
  // alternating which goes first, so a burst of outside load rarely lands on one side only.
  const sliceSize = Math.ceil(streams / params.slicesPerRound);
  const segments = rounds * Math.ceil(streams / sliceSize);
  const pairRatios: number[] = [];
  let segment = 0;
  for (let r = 0; r < rounds; r++) {
    // Same rows for both sides: each table gets the same stream ids, versions and event ids.
    const batch = streamIds.map((id) => assetEvents(id, r * k + 1, k));
    for (let from = 0; from < streams; from += sliceSize) {
      const to = Math.min(streams, from + sliceSize);
      const order = segment % 2 === 0 ? [baseSide, storeSide] : [storeSide, baseSide];
      const rates: Record<string, number> = {};
      for (const side of order) {
        await checkpoint(pool);
        let done = 0;
        const start = now();
        await withTicker(
          runWorkers(writers, to - from, async (i) => {
            const t = now();
            await side.call(`asset-${streamIds[from + i]}`, r * k, batch[from + i]);
            side.stats.latencies.push(now() - t);
            done++;
          }),
          () =>
            `${side.name} segment ${segment + 1}/${segments}: ${fmt(done * k)} events, ` +
            `${fmt((done * k) / ((now() - start) / 1000))} events/s`,
        );
        const ms = now() - start;
        const events = (to - from) * k;
        side.stats.ms += ms;
        side.stats.events += events;
        rates[side.name] = events / (ms / 1000);
        side.stats.perSegment.push(round(rates[side.name]));
      }
      pairRatios.push(rates.store / rates.baseline);
      say(
        `  segment ${segment + 1}/${segments} (round ${r + 1}, streams ${from}–${to - 1}): store ${fmt(rates.store)} ` +
          `events/s, baseline ${fmt(rates.baseline)} events/s, ratio ${fmt(rates.store / rates.baseline)}`,
      );
      segment++;
    }
  }

  const rate = (s: SideStats): number => s.events / (s.ms / 1000);
  const lat = (s: SideStats) => ({
    p50: round(percentile(s.latencies, 50)),
    p99: round(percentile(s.latencies, 99)),
    max: round(percentile(s.latencies, 100)),
  });
  return result({
    name: label.name,
    title: label.title,
    value: rate(storeSide.stats),
    unit: 'events/s',
    baseline: rate(baseSide.stats),
    baselineName: k === 1 ? 'plain INSERT' : 'multi-row INSERT (unnest)',
    better: 'higher',
    parameters: {
      writers,
      streams,
      eventsPerCall: k,
      rounds,
      slicesPerRound: params.slicesPerRound,
      callsPerSide: rounds * streams,
      eventsPerSide: rounds * streams * k,
      poolSize: params.poolSize,
      expectedVersion: 'exact',
    },
    details: {
      storeEventsPerSecBySegment: storeSide.stats.perSegment,
      baselineEventsPerSecBySegment: baseSide.stats.perSegment,
      medianSegmentRatio: round(median(pairRatios)),
      storeCallLatencyMs: lat(storeSide.stats),
      baselineCallLatencyMs: lat(baseSide.stats),
    },
  });
}
