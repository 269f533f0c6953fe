/**
 * Benchmark 6: the command path (DESIGN §8: ≥ 2,000 commands/s closed loop, p99 < 50 ms at a steady
 * 500/s). `POST /v1/assets` through the whole system — gateway → Kafka → workflow → event store →
 * reply topic → gateway — against a baseline in the same run: the same command decided and appended
 * straight into the event store (`handle()` with the asset decider on a `PgEventStore`, the
 * workflow's own code path and pool size), no HTTP, no Kafka.
 *
 *  - Closed loop: 64 keep-alive connections (autocannon), each sending a new asset as soon as the
 *    last one is answered; the baseline has 64 concurrent callers. Both sides run the same total
 *    time in alternating segments (store, HTTP, HTTP, store, …), the services idle and a CHECKPOINT
 *    before each segment, so background load and table growth hit both alike.
 *  - Open loop: a fixed arrival rate (500/s) whatever the answers do, latency measured from each
 *    request's scheduled send time (no coordinated omission), on both sides.
 *
 * Every answer other than `201` (a `202` the gateway gives when the workflow did not answer within
 * its command timeout, `503`, `5xx`, connection errors) is counted and reported, never dropped.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { handle } from '@meridian/shared/decider';
import { assetDecider, assetKinds, assetStreamId, SYSTEM_ACCESS } from '@meridian/workflow/domain';
import {
  type AbortableCall,
  type CallResult,
  examplesJson,
  closedLoop,
  httpClosedLoop,
  httpPoster,
  type HttpTarget,
  type LatencySummary,
  type LoadSample,
  mergeSamples,
  newProgress,
  type OpenLoopSample,
  openLoop,
  type Progress,
  summarize,
} from './commands-load';
import { type CommandsEnvironment, type CommandsSystem, settle } from './commands-stack';
import { type BenchResult, fmt, median, result, round, say, withTicker } from './harness';
import { checkpoint, warmPool } from './infra';

export interface CommandsParams {
  /** HTTP connections of the closed loop, and concurrent callers of its baseline. */
  readonly connections: number;
  /** Untimed warm-up of both sides before the closed loop. */
  readonly warmupMs: number;
  /** Timed closed-loop time per side, cut into `segments` segments. */
  readonly closedMs: number;
  readonly segments: number;
  /** Open loop: arrivals per second, for `openMs`, then at most `drainMs` for the last answers. */
  readonly rate: number;
  readonly openMs: number;
  readonly drainMs: number;
  /** Connections the open loop may open; requests beyond them wait in the client (and that counts). */
  readonly openMaxSockets: number;
  /** DESIGN §8's p99 target at the open-loop rate (drawn on the chart). */
  readonly targetP99Ms: number;
}

const BASELINE_SCHEMA = 'bench_baseline';
const HTTP_OK = '201';
const STORE_OK = 'ok';

const assetBody = (i: number): string =>
  JSON.stringify({ name: `Bench asset ${i}`, kind: assetKinds[i % assetKinds.length] });

/** The workflow's RegisterAsset handling (register-asset.handler.ts) without Kafka around it. */
function storeCommand(store: PgEventStore, tenantId: string): (i: number) => Promise<CallResult> {
  return async (i) => {
    const assetId = uuidv7();
    const commandId = randomUUID();
    const r = await handle(
      store,
      assetDecider,
      assetStreamId(assetId),
      {
        type: 'RegisterAsset',
        data: {
          assetId,
          tenantId,
          name: `Bench asset ${i}`,
          kind: assetKinds[i % assetKinds.length],
          sensitivity: 0,
          team: null,
          access: SYSTEM_ACCESS,
          now: new Date().toISOString(),
        },
      },
      { commandId, metadata: { tenantId, correlationId: commandId, causationId: commandId } },
    );
    return r.ok ? { outcome: STORE_OK } : { outcome: `rejected ${r.code}`, detail: r.detail };
  };
}

const perSecond = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : Number.NaN);

function progressLine(label: string, p: Progress, startedAt: number, open = false): string {
  const s = (Date.now() - startedAt) / 1000;
  const others = p.answered - p.succeeded;
  return (
    `${label}: ${fmt(p.succeeded)} ok (${fmt(perSecond(p.succeeded, s * 1000))}/s), ${fmt(others)} other answers` +
    (open ? `, ${fmt(p.sent)} sent, ${fmt(p.inFlight)} in flight` : '')
  );
}

async function phase<T>(label: string, work: (p: Progress) => Promise<T>, open = false): Promise<T> {
  const p = newProgress();
  const started = Date.now();
  return withTicker(work(p), () => progressLine(label, p, started, open));
}

const ms = (x: number): string => `${fmt(x)} ms`;
const latencyLine = (l: LatencySummary): string =>
  `p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`;

interface SideSummary {
  readonly rate: number;
  readonly outcomes: Record<string, number>;
  /** The first few answers per unsuccessful outcome (problem bodies, error messages). */
  readonly examples: Record<string, string[]>;
  readonly nonSuccess: number;
  readonly latencyMs: LatencySummary;
  readonly successLatencyMs: LatencySummary;
  readonly elapsedS: number;
}

function side(sample: LoadSample, success: string): SideSummary {
  return {
    rate: round(perSecond(sample.outcomes.get(success), sample.elapsedMs)),
    outcomes: sample.outcomes.toJSON(),
    examples: examplesJson(sample),
    nonSuccess: sample.outcomes.others(success),
    latencyMs: summarize(sample.latencies),
    successLatencyMs: summarize(sample.successLatencies),
    elapsedS: round(sample.elapsedMs / 1000),
  };
}

function openSide(sample: OpenLoopSample, success: string, rate: number) {
  return {
    offeredRate: rate,
    offered: sample.offered,
    sent: sample.sent,
    answered: sample.sent - sample.unanswered,
    unanswered: sample.unanswered,
    /** Successful answers per second over the span from the first scheduled send to the last answer. */
    achievedRate: round(perSecond(sample.outcomes.get(success), sample.spanMs)),
    outcomes: sample.outcomes.toJSON(),
    examples: examplesJson(sample),
    nonSuccess: sample.outcomes.others(success),
    latencyMs: summarize(sample.latencies),
    successLatencyMs: summarize(sample.successLatencies),
    maxInFlight: sample.maxInFlight,
    schedulerLagMs: sample.sendLag,
    spanS: round(sample.spanMs / 1000),
  };
}

/**
 * Starts the system through `environment` (the caller closes it, also on Ctrl-C), measures, and
 * returns two results: closed-loop throughput and open-loop p99, each against the store baseline.
 */
export async function commandsBenchmark(
  environment: CommandsEnvironment,
  params: CommandsParams,
): Promise<BenchResult[]> {
  say('  starting the system');
  const system = await environment.start();
  say(`  system ready; baseline: handle() on PgEventStore, pool ${system.workflowPoolSize} (the workflow's)`);
  const pool = new Pool({
    connectionString: system.databaseUrl,
    max: system.workflowPoolSize,
    application_name: 'meridian-bench-baseline',
  });
  pool.on('error', (err) => {
    // Closing drops the database WITH (FORCE), which ends these connections: expected, not news.
    if (!environment.closing) say(`pg pool error (commands baseline): ${err.message}`);
  });
  try {
    await migrate(pool, BASELINE_SCHEMA, eventStoreMigrations(BASELINE_SCHEMA));
    await warmPool(pool, system.workflowPoolSize);
    const store = new PgEventStore(pool, BASELINE_SCHEMA);
    return await measure(system, pool, store, params);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function measure(
  system: CommandsSystem,
  pool: Pool,
  store: PgEventStore,
  params: CommandsParams,
): Promise<BenchResult[]> {
  let bodies = 0;
  const target: HttpTarget = {
    host: system.host,
    port: system.port,
    path: '/v1/assets',
    headers: () => system.auth.get(),
    body: () => assetBody(bodies++),
    success: Number(HTTP_OK),
  };
  const storeCall = storeCommand(store, system.tenant);
  const httpRun = (label: string, durationMs: number) =>
    phase(label, (p) => httpClosedLoop(target, params.connections, durationMs, p));
  const storeRun = (label: string, durationMs: number) =>
    phase(label, (p) => closedLoop(params.connections, durationMs, storeCall, STORE_OK, p));

  // Warm-up (not timed): connections, JIT, the services' consumers and producers, the store's pool.
  say(`  warm-up: ${params.warmupMs / 1000} s per side`);
  const warmHttp = await httpRun('warm-up HTTP', params.warmupMs);
  report('warm-up HTTP', warmHttp, HTTP_OK, '× 201/s');
  const warmStore = await storeRun('warm-up store', Math.min(params.warmupMs, 2000));
  report('warm-up store', warmStore, STORE_OK, 'commands/s');

  // Closed loop, alternating segments: store, HTTP, HTTP, store, …
  const segmentMs = params.closedMs / params.segments;
  const httpSegments: LoadSample[] = [];
  const storeSegments: LoadSample[] = [];
  for (let k = 0; k < params.segments; k++) {
    const order = k % 2 === 0 ? (['store', 'http'] as const) : (['http', 'store'] as const);
    for (const which of order) {
      const label = `closed loop ${which === 'http' ? 'HTTP' : 'store'} ${k + 1}/${params.segments}`;
      await settle(system, label);
      await checkpoint(pool);
      if (which === 'http') {
        const s = await httpRun(label, segmentMs);
        httpSegments.push(s);
        report(label, s, HTTP_OK, '× 201/s');
      } else {
        const s = await storeRun(label, segmentMs);
        storeSegments.push(s);
        report(label, s, STORE_OK, 'commands/s');
      }
    }
  }
  const http = side(mergeSamples(httpSegments), HTTP_OK);
  const base = side(mergeSamples(storeSegments), STORE_OK);
  const segmentRatios = httpSegments.map(
    (h, i) =>
      perSecond(h.outcomes.get(HTTP_OK), h.elapsedMs) /
      perSecond(storeSegments[i].outcomes.get(STORE_OK), storeSegments[i].elapsedMs),
  );

  // Open loop at a fixed rate: the store first, then HTTP (whose tail, if it falls behind, ends the run).
  const storeOpen = async (): Promise<OpenLoopSample> => {
    const label = `open loop store ${params.rate}/s`;
    await settle(system, label);
    await checkpoint(pool);
    const call: AbortableCall = (i) => storeCall(i);
    return phase(label, (p) => openLoop(params.rate, params.openMs, params.drainMs, call, STORE_OK, p), true);
  };
  const httpOpen = async (): Promise<OpenLoopSample> => {
    const label = `open loop HTTP ${params.rate}/s`;
    await settle(system, label);
    await checkpoint(pool);
    const poster = httpPoster(target, params.openMaxSockets);
    const call: AbortableCall = poster.call;
    try {
      return await phase(label, (p) => openLoop(params.rate, params.openMs, params.drainMs, call, HTTP_OK, p), true);
    } finally {
      poster.close();
    }
  };
  const openStore = openSide(await storeOpen(), STORE_OK, params.rate);
  reportOpen('open loop store', openStore, STORE_OK, 'commands/s');
  const openHttp = openSide(await httpOpen(), HTTP_OK, params.rate);
  reportOpen('open loop HTTP', openHttp, HTTP_OK, '× 201/s');

  const parameters = {
    endpoint: 'POST /v1/assets',
    connections: params.connections,
    closedLoopSPerSide: params.closedMs / 1000,
    segmentsPerSide: params.segments,
    warmupS: params.warmupMs / 1000,
    openLoopRate: params.rate,
    openLoopS: params.openMs / 1000,
    openLoopDrainS: params.drainMs / 1000,
    openLoopMaxSockets: params.openMaxSockets,
    baselinePoolSize: system.workflowPoolSize,
    loadGenerator: 'autocannon 9 (closed loop, keep-alive); node:http keep-alive agent (open loop)',
  };
  const closed = result({
    name: 'commands-closed-loop',
    title: `Commands closed loop, ${params.connections} connections`,
    value: http.rate,
    unit: 'commands/s',
    valueName: 'HTTP 201s',
    baseline: base.rate,
    baselineName: 'event store handle()',
    better: 'higher',
    parameters,
    details: {
      http,
      baseline: base,
      medianSegmentRatio: round(median(segmentRatios)),
      /** CPU the five services use together with nothing to do (pollers, heartbeats), in cores. */
      idleServicesCores: system.idleCores === null ? null : round(system.idleCores),
      segmentRatios: segmentRatios.map(round),
      chartNote:
        `HTTP ${latencyLine(http.latencyMs)}; non-201: ${http.nonSuccess}` +
        (http.nonSuccess ? ` (${describeOutcomes(http.outcomes, HTTP_OK)})` : ''),
    },
  });
  const open = result({
    name: 'commands-open-loop-p99',
    title: `Commands open loop ${params.rate}/s, p99`,
    value: openHttp.latencyMs.p99,
    unit: 'ms',
    valueName: 'HTTP',
    baseline: openStore.latencyMs.p99,
    baselineName: 'event store handle()',
    better: 'lower',
    parameters,
    details: {
      http: openHttp,
      baseline: openStore,
      chartNote:
        `HTTP ${latencyLine(openHttp.latencyMs)}; achieved ${fmt(openHttp.achievedRate)} × 201/s; ` +
        `non-201: ${openHttp.nonSuccess}` +
        (openHttp.nonSuccess ? ` (${describeOutcomes(openHttp.outcomes, HTTP_OK)})` : '') +
        (openHttp.unanswered ? '; unanswered count at their age when abandoned (a lower bound)' : ''),
      percentiles: {
        title: `Commands open loop at ${params.rate}/s: latency from the scheduled send (ms, log scale)`,
        valueName: 'HTTP',
        baselineName: 'event store handle()',
        targetMs: params.targetP99Ms,
        targetLabel: `target p99 < ${params.targetP99Ms} ms`,
        value: pickPercentiles(openHttp.latencyMs),
        baseline: pickPercentiles(openStore.latencyMs),
      },
    },
  });
  say(
    `  closed loop: HTTP ${fmt(http.rate)} × 201/s (${latencyLine(http.latencyMs)}; non-201: ` +
      `${describeOutcomes(http.outcomes, HTTP_OK)}) vs store ${fmt(base.rate)} commands/s ` +
      `(p50 ${ms(base.latencyMs.p50)}, p99 ${ms(base.latencyMs.p99)})`,
  );
  return [closed, open];
}

/** One line per phase; for every unsuccessful outcome its first example (a problem body, an error message). */
function report(label: string, s: LoadSample, success: string, unit: string): void {
  say(
    `  ${label}: ${fmt(perSecond(s.outcomes.get(success), s.elapsedMs))} ${unit}, ` +
      `${latencyLine(summarize(s.latencies))}; others: ${s.outcomes.describeOthers(success)}`,
  );
  for (const [outcome, examples] of s.examples) say(`    e.g. ${outcome}: ${examples[0]}`);
}

function reportOpen(label: string, o: ReturnType<typeof openSide>, success: string, unit: string): void {
  say(
    `  ${label}: ${latencyLine(o.latencyMs)} (from the scheduled send); achieved ${fmt(o.achievedRate)} ${unit} ` +
      `of ${fmt(o.offeredRate)}/s offered; max ${fmt(o.maxInFlight)} in flight; others: ` +
      `${describeOutcomes(o.outcomes, success)}; scheduler lag p99 ${ms(o.schedulerLagMs.p99)}`,
  );
  if (o.unanswered > 0) {
    say(`    ${fmt(o.unanswered)} not answered within the drain time: their age then counts as their latency`);
  }
  for (const [outcome, examples] of Object.entries(o.examples)) say(`    e.g. ${outcome}: ${examples[0]}`);
}

const pickPercentiles = (l: LatencySummary) => ({ p50: l.p50, p95: l.p95, p99: l.p99, max: l.max });

function describeOutcomes(outcomes: Record<string, number>, success: string): string {
  const rest = Object.entries(outcomes).filter(([k]) => k !== success);
  return rest.length ? rest.map(([k, v]) => `${k}×${v}`).join(', ') : 'none';
}
