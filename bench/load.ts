/**
 * Benchmark 3: `load()` of the decider runtime on a 10,000-event stream, without and with a
 * snapshot, against a raw `SELECT` of the same rows through the same pool. Medians of several
 * runs; runs of the store and of the baseline alternate so drift hits both, and each result is
 * compared with the baseline runs interleaved with its own.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { load } from '@meridian/shared/decider';
import type { PgEventStore } from '@meridian/shared/event-store';
import { assetDecider, assetEvents } from './fixtures';
import { type BenchResult, fmt, median, percentile, result, round, say, timed } from './harness';

export interface LoadParams {
  readonly events: number;
  readonly appendBatch: number;
  readonly warmupRuns: number;
  readonly runs: number;
  /** Events after the snapshot (0: the snapshot is at the head; load reads the snapshot and an empty tail). */
  readonly snapshotTail: number;
}

const spread = (xs: readonly number[]) => ({
  min: round(Math.min(...xs)),
  median: round(median(xs)),
  p90: round(percentile(xs, 90)),
  max: round(Math.max(...xs)),
});

export async function loadBenchmark(
  pool: Pool,
  schema: string,
  store: PgEventStore,
  params: LoadParams,
): Promise<BenchResult[]> {
  const assetId = randomUUID();
  const streamId = `asset-${assetId}`;
  for (let v = 0; v < params.events; v += params.appendBatch) {
    const n = Math.min(params.appendBatch, params.events - v);
    await store.append(streamId, v, assetEvents(assetId, v + 1, n));
  }
  await pool.query(`ANALYZE ${schema}.events`);
  say(`  stream ${streamId} has ${fmt(params.events)} events`);

  const rawSelect = async (): Promise<number> => {
    const { rows } = await pool.query(`SELECT * FROM ${schema}.events WHERE stream_id = $1 ORDER BY stream_version`, [
      streamId,
    ]);
    return rows.length;
  };
  const loadOnce = async (expectedRead: number): Promise<void> => {
    const loaded = await load(store, assetDecider, streamId);
    if (loaded.version !== params.events || loaded.eventsRead !== expectedRead) {
      throw new Error(`load returned version ${loaded.version} after reading ${loaded.eventsRead} events`);
    }
  };

  // Diagnostic only: the columns load() actually uses (see README, "what the numbers say").
  const leanSelect = () =>
    pool.query(
      `SELECT stream_version, type, schema_version, data FROM ${schema}.events ` +
        `WHERE stream_id = $1 AND stream_version > 0 ORDER BY stream_version`,
      [streamId],
    );

  const baselineMs: number[] = [];
  const noSnapshotMs: number[] = [];
  const readStreamMs: number[] = [];
  const leanMs: number[] = [];
  for (let i = 0; i < params.warmupRuns; i++) {
    await rawSelect();
    await loadOnce(params.events);
  }
  for (let i = 0; i < params.runs; i++) {
    baselineMs.push(await timed(rawSelect));
    noSnapshotMs.push(await timed(() => loadOnce(params.events)));
    readStreamMs.push(await timed(() => store.readStream(streamId)));
    leanMs.push(await timed(leanSelect));
  }
  say(
    `  load without snapshot: median ${fmt(median(noSnapshotMs))} ms; raw SELECT median ${fmt(median(baselineMs))} ms`,
  );

  // Snapshot exactly as handle() writes one: the folded state at a version, tagged with stateVersion.
  const snapshotVersion = params.events - params.snapshotTail;
  const head = await store.readStream(streamId);
  const state = head
    .slice(0, snapshotVersion)
    .reduce(
      (s, r) => assetDecider.evolve(s, { type: r.type, data: r.data } as Parameters<typeof assetDecider.evolve>[1]),
      assetDecider.initialState,
    );
  await store.writeSnapshot({ streamId, version: snapshotVersion, schemaVersion: assetDecider.stateVersion, state });

  const snapshotMs: number[] = [];
  const snapshotBaselineMs: number[] = [];
  for (let i = 0; i < params.warmupRuns; i++) await loadOnce(params.snapshotTail);
  for (let i = 0; i < params.runs; i++) {
    snapshotBaselineMs.push(await timed(rawSelect));
    snapshotMs.push(await timed(() => loadOnce(params.snapshotTail)));
  }
  say(
    `  load with snapshot: median ${fmt(median(snapshotMs))} ms; raw SELECT median ` +
      `${fmt(median(snapshotBaselineMs))} ms`,
  );

  const parameters = { events: params.events, runs: params.runs, warmupRuns: params.warmupRuns, statistic: 'median' };
  return [
    result({
      name: 'load-10k-no-snapshot',
      title: `load() of ${fmt(params.events)} events, no snapshot`,
      value: median(noSnapshotMs),
      unit: 'ms',
      baseline: median(baselineMs),
      baselineName: `raw SELECT of ${fmt(params.events)} rows`,
      better: 'lower',
      parameters,
      details: {
        loadMs: spread(noSnapshotMs),
        readStreamOnlyMs: spread(readStreamMs),
        rawSelectMs: spread(baselineMs),
        leanSelectMs: spread(leanMs),
      },
    }),
    result({
      name: 'load-10k-snapshot',
      title: `load() of ${fmt(params.events)} events, snapshot at ${fmt(snapshotVersion)}`,
      value: median(snapshotMs),
      unit: 'ms',
      baseline: median(snapshotBaselineMs),
      baselineName: `raw SELECT of ${fmt(params.events)} rows`,
      better: 'lower',
      parameters: { ...parameters, snapshotVersion, eventsAfterSnapshot: params.snapshotTail },
      details: { loadMs: spread(snapshotMs), rawSelectMs: spread(snapshotBaselineMs) },
    }),
  ];
}
