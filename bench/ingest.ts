/**
 * Benchmark 7: telemetry ingest through the whole system (DESIGN §8, issue 7): HTTP batches →
 * gateway (validation, tenant's asset check, grouping by partition) → Kafka → projection (COPY
 * into the day partitions, asset_latest, the geofence check of every fix against the tenant's
 * live zones, transitions into the `geofence` store) → PostGIS, with 1,000 zones over 10,000
 * assets, on the running five services (the `commands` benchmark's stack).
 *
 * Phases: register the assets and draw the zones through the API (not timed); a closed loop of
 * requests (`inFlight` at a time) — accepted/s is fixes answered 202 per second, stored/s is
 * fixes in read.positions per second until the last one is stored (read from the positions'
 * ingest sequence); an open loop at `openRate` fixes/s, each request's last fix watched until it
 * is queryable in asset_latest (202 → queryable percentiles); then the baseline: a raw COPY of
 * as many fixes into a table shaped like read.positions in the same database, same run. The
 * projection's resident memory is sampled throughout.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import type { PositionRow } from '@meridian/read-model/positions';
import { type CommandsEnvironment, type CommandsSystem, settle } from './commands-stack';
import { cpuPerCommand } from './cpu';
import { type BenchResult, fmt, now, percentile, result, round, runWorkers, say, withTicker } from './harness';
import { BASELINE_SCHEMA, baselineDdl, copyIn, tableShape } from './telemetry';

export interface IngestParams {
  readonly assets: number;
  readonly zones: number;
  /** Fixes of the closed loop. */
  readonly fixes: number;
  readonly requestSize: number;
  readonly inFlight: number;
  /** Fixes per second of the open loop, and its length. */
  readonly openRate: number;
  readonly openMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const AREA = { lon: 7.5, lat: 46.5, width: 2, height: 1.5 };
const ZONE_SIZE = 0.03;
/** Degrees an asset moves per tick (one tick = one fix of every asset, one second of data time). */
const STEP = 0.0006;

/** Small deterministic PRNG (mulberry32): every run draws the same zones and tracks. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rssMb = (pid: number | undefined): number | null => {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
};

interface Fleet {
  readonly ids: string[];
  readonly start: { lon: number; lat: number }[];
  readonly heading: { dx: number; dy: number }[];
}

/** Fix `k` of the fleet: tick ⌊k / assets⌋ of asset k mod assets, moving in a straight line that bounces. */
function fixAt(fleet: Fleet, k: number, t0: number): { assetId: string; ts: string; lon: number; lat: number } {
  const n = fleet.ids.length;
  const a = k % n;
  const tick = Math.floor(k / n);
  const bounce = (x: number, lo: number, span: number): number => {
    const m = (((x - lo) % (2 * span)) + 2 * span) % (2 * span);
    return lo + (m <= span ? m : 2 * span - m);
  };
  return {
    assetId: fleet.ids[a],
    ts: new Date(t0 + tick * 1000 + (a % 1000)).toISOString(),
    lon: +bounce(fleet.start[a].lon + tick * fleet.heading[a].dx, AREA.lon, AREA.width).toFixed(6),
    lat: +bounce(fleet.start[a].lat + tick * fleet.heading[a].dy, AREA.lat, AREA.height).toFixed(6),
  };
}

async function post(system: CommandsSystem, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${system.host}:${system.port}${path}`, {
    method: 'POST',
    headers: { ...system.auth.get(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

async function setUp(system: CommandsSystem, pool: Pool, params: IngestParams): Promise<Fleet> {
  const random = prng(7);
  const ids: string[] = new Array(params.assets);
  let registered = 0;
  await withTicker(
    runWorkers(64, params.assets, async (i) => {
      const r = await post(system, '/v1/assets', { name: `ingest ${i}`, kind: 'drone' });
      if (r.status !== 201 && r.status !== 202) throw new Error(`register: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      ids[i] = (r.body as { id: string }).id;
      registered++;
    }),
    () => `${fmt(registered)} of ${fmt(params.assets)} assets registered`,
  );
  let drawn = 0;
  await withTicker(
    runWorkers(16, params.zones, async (i) => {
      const x = AREA.lon + random() * (AREA.width - ZONE_SIZE);
      const y = AREA.lat + random() * (AREA.height - ZONE_SIZE);
      const ring = [
        [x, y],
        [x + ZONE_SIZE, y],
        [x + ZONE_SIZE, y + ZONE_SIZE],
        [x, y + ZONE_SIZE],
        [x, y],
      ];
      const r = await post(system, '/v1/zones', {
        name: `zone ${i}`,
        kind: 'geofence',
        geometry: { type: 'Polygon', coordinates: [ring] },
      });
      if (r.status !== 201 && r.status !== 202) throw new Error(`zone: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      drawn++;
    }),
    () => `${fmt(drawn)} of ${fmt(params.zones)} zones drawn`,
  );
  // The projection has them all before the clock starts.
  for (const deadline = Date.now() + 120_000; ;) {
    const { rows } = await pool.query<{ a: number; z: number }>(
      `SELECT (SELECT count(*) FROM read.asset_latest WHERE name IS NOT NULL)::int AS a,
              (SELECT count(*) FROM read.zones)::int AS z`,
    );
    if (rows[0].a >= params.assets && rows[0].z >= params.zones) break;
    if (Date.now() > deadline) throw new Error(`projection has ${rows[0].a} assets and ${rows[0].z} zones after 2 min`);
    await sleep(250);
  }
  // Planner statistics for the zones now, not whenever autovacuum gets to them (the `sql` geofence
  // index would otherwise join without its GiST index at first).
  await pool.query('ANALYZE read.zones');
  const start = ids.map(() => ({ lon: AREA.lon + random() * AREA.width, lat: AREA.lat + random() * AREA.height }));
  const heading = ids.map(() => {
    const angle = random() * 2 * Math.PI;
    return { dx: Math.cos(angle) * STEP, dy: Math.sin(angle) * STEP };
  });
  return { ids, start, heading };
}

/** What the projection has done so far: fixes stored (ingest sequence) and geofence transitions. */
async function counters(pool: Pool): Promise<{ stored: number; transitions: number }> {
  const { rows } = await pool.query<{ stored: string; transitions: string }>(
    `SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM read.positions_ingest_seq)::text AS stored,
            (SELECT count(*) FROM geofence.events)::text AS transitions`,
  );
  return { stored: Number(rows[0].stored), transitions: Number(rows[0].transitions) };
}

export async function ingestBenchmark(env: CommandsEnvironment, params: IngestParams): Promise<BenchResult> {
  const system = await env.start();
  const pool = new Pool({ connectionString: system.databaseUrl, max: 4, application_name: 'meridian-bench-ingest' });
  const projection = system.pidOf('projection');
  let maxRss = rssMb(projection) ?? 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(projection) ?? 0)), 500);
  try {
    say(`  setting up: ${fmt(params.assets)} assets and ${fmt(params.zones)} zones through the API`);
    const fleet = await setUp(system, pool, params);
    await settle(system, 'after the set-up');
    const t0 = Date.now() - 30 * 60 * 1000;
    const base = await counters(pool);

    // Closed loop.
    const services: Record<string, number> = {};
    for (const name of ['gateway', 'identity', 'workflow', 'projection', 'geo-query'] as const) {
      const pid = system.pidOf(name);
      if (pid !== undefined) services[name] = pid;
    }
    const cpuPer = cpuPerCommand(services);
    const requests = Math.ceil(params.fixes / params.requestSize);
    let accepted = 0;
    const started = now();
    let acceptedAt = started;
    const progress = (): string => `${fmt(accepted)} accepted (${fmt((accepted / (now() - started)) * 1000)}/s)`;
    await withTicker(
      runWorkers(params.inFlight, requests, async (r) => {
        const from = r * params.requestSize;
        const fixes = Array.from({ length: Math.min(params.requestSize, params.fixes - from) }, (_, i) =>
          fixAt(fleet, from + i, t0),
        );
        const res = await post(system, '/v1/telemetry', { fixes });
        if (res.status !== 202) throw new Error(`telemetry: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        accepted += (res.body as { accepted: number }).accepted;
        acceptedAt = now();
      }),
      () => `${progress()}; projection ${fmt(rssMb(projection) ?? 0)} MB`,
    );
    const acceptMs = acceptedAt - started;
    let done = await counters(pool);
    await withTicker(
      (async () => {
        for (;;) {
          done = await counters(pool);
          if (done.stored - base.stored >= accepted) return;
          await sleep(20);
        }
      })(),
      () =>
        `${fmt(done.stored - base.stored)} of ${fmt(accepted)} stored, ` +
        `${fmt(done.transitions - base.transitions)} transitions`,
    );
    const storeMs = now() - started;
    // CPU milliseconds per 1,000 fixes, per party, over the closed loop.
    const cpuPerThousand = Object.fromEntries(Object.entries(cpuPer(accepted / 1000)).sort((a, b) => b[1] - a[1]));
    say(
      `  CPU ms per 1,000 fixes: ${Object.entries(cpuPerThousand)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
    );
    const storedPerS = ((done.stored - base.stored) / storeMs) * 1000;
    const transitions = done.transitions - base.transitions;
    say(
      `  closed loop: ${fmt(accepted)} fixes accepted in ${fmt(acceptMs / 1000)} s ` +
        `(${fmt((accepted / acceptMs) * 1000)}/s), stored in ${fmt(storeMs / 1000)} s (${fmt(storedPerS)}/s), ` +
        `${fmt(transitions)} geofence transitions (${fmt((transitions / storeMs) * 1000)}/s)`,
    );

    // Open loop with a watched fix per request.
    const latencies = await openLoop(system, pool, fleet, params, t0, params.fixes);

    // Baseline: a raw COPY of as many fixes into a table shaped like read.positions.
    const copyPerS = await copyBaseline(pool, fleet, params, t0);
    const ratio = storedPerS / copyPerS;
    say(
      `  ingest ${fmt(storedPerS)} positions/s stored vs raw COPY ${fmt(copyPerS)}/s → ratio ${fmt(ratio)}; ` +
        `202 → queryable at ${fmt(params.openRate)}/s: p50 ${fmt(percentile(latencies, 50))} ms, ` +
        `p99 ${fmt(percentile(latencies, 99))} ms; projection max RSS ${fmt(maxRss)} MB`,
    );
    return result({
      name: 'ingest',
      title: `Ingest HTTP → Kafka → PostGIS, ${fmt(params.zones)} zones, ${fmt(params.assets)} assets`,
      value: round(storedPerS),
      unit: 'positions/s',
      baseline: round(copyPerS),
      baselineName: 'raw COPY',
      valueName: 'through the API',
      better: 'higher',
      parameters: { ...params },
      details: {
        acceptedPerS: round((accepted / acceptMs) * 1000),
        storedPerS: round(storedPerS),
        geofenceEventsPerS: round((transitions / storeMs) * 1000),
        transitions,
        queryableMs: {
          p50: round(percentile(latencies, 50)),
          p90: round(percentile(latencies, 90)),
          p99: round(percentile(latencies, 99)),
          max: round(Math.max(...latencies)),
          samples: latencies.length,
        },
        projectionMaxRssMb: round(maxRss),
        cpuMsPerThousandFixes: cpuPerThousand,
      },
    });
  } finally {
    clearInterval(sampler);
    await pool.end();
  }
}

/**
 * Requests at `openRate` fixes/s for `openMs`, whatever the answers take (open loop); for each,
 * the time from its 202 until its last fix is the asset's newest in asset_latest. A poller reads
 * the watched assets every 10 ms.
 */
async function openLoop(
  system: CommandsSystem,
  pool: Pool,
  fleet: Fleet,
  params: IngestParams,
  t0: number,
  firstFix: number,
): Promise<number[]> {
  const total = Math.floor((params.openRate * params.openMs) / 1000);
  const requests = Math.ceil(total / params.requestSize);
  const intervalMs = (params.requestSize / params.openRate) * 1000;
  const watched = new Map<string, { ts: number; at: number }>();
  const latencies: number[] = [];
  let sending = true;
  const poller = (async () => {
    while (sending || watched.size > 0) {
      const ids = [...watched.keys()];
      if (ids.length > 0) {
        const { rows } = await pool.query<{ asset_id: string; ts: Date }>(
          `SELECT asset_id, ts FROM read.asset_latest WHERE asset_id = ANY($1::uuid[])`,
          [ids],
        );
        const seenAt = now();
        for (const r of rows) {
          const w = watched.get(r.asset_id);
          if (w && r.ts && r.ts.getTime() >= w.ts) {
            latencies.push(seenAt - w.at);
            watched.delete(r.asset_id);
          }
        }
      }
      await sleep(10);
    }
  })();
  const started = now();
  const inflight: Promise<void>[] = [];
  say(
    `  open loop: ${fmt(params.openRate)} fixes/s for ${fmt(params.openMs / 1000)} s, ` +
      `requests of ${params.requestSize}`,
  );
  for (let r = 0; r < requests; r++) {
    const due = started + r * intervalMs;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const from = firstFix + r * params.requestSize;
    const fixes = Array.from({ length: params.requestSize }, (_, i) => fixAt(fleet, from + i, t0));
    const last = fixes[fixes.length - 1];
    inflight.push(
      post(system, '/v1/telemetry', { fixes }).then((res) => {
        if (res.status !== 202) throw new Error(`telemetry: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        watched.set(last.assetId, { ts: Date.parse(last.ts), at: now() });
      }),
    );
  }
  await Promise.all(inflight);
  sending = false;
  const deadline = now() + 30_000;
  while (watched.size > 0 && now() < deadline) await sleep(20);
  if (watched.size > 0) say(`  ${watched.size} watched fixes not queryable after 30 s (left out)`);
  watched.clear();
  await poller;
  return latencies;
}

/** Raw COPY of the closed loop's fixes (two lanes) into a table shaped like read.positions. */
async function copyBaseline(pool: Pool, fleet: Fleet, params: IngestParams, t0: number): Promise<number> {
  await pool.query(`DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE`);
  await pool.query(baselineDdl(BASELINE_SCHEMA));
  const [read, copy] = [await tableShape(pool, 'read'), await tableShape(pool, BASELINE_SCHEMA)];
  if (read !== copy) throw new Error(`${BASELINE_SCHEMA}.positions no longer matches read.positions`);
  const rows: PositionRow[] = Array.from({ length: params.fixes }, (_, k) => ({
    ...fixAt(fleet, k, t0),
    tenantId: 'bench-commands',
  }));
  const days = new Set(rows.map((r) => r.ts.slice(0, 10)));
  for (const day of days) {
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    await pool.query(
      `CREATE TABLE ${BASELINE_SCHEMA}.positions_${day.replace(/-/g, '')} PARTITION OF ${BASELINE_SCHEMA}.positions
       FOR VALUES FROM ('${day}') TO ('${next}')`,
    );
  }
  const lanes: PositionRow[][][] = [[], []];
  for (let i = 0; i < rows.length; i += params.requestSize) {
    const batch = rows.slice(i, i + params.requestSize);
    lanes[0].push(batch.filter((_, j) => j % 2 === 0));
    lanes[1].push(batch.filter((_, j) => j % 2 === 1));
  }
  const started = now();
  const copied = (await Promise.all(lanes.map((l) => copyIn(pool, BASELINE_SCHEMA, l, () => undefined)))).reduce(
    (a, b) => a + b,
    0,
  );
  const ms = now() - started;
  await pool.query(`DROP SCHEMA ${BASELINE_SCHEMA} CASCADE`);
  return (copied / ms) * 1000;
}
