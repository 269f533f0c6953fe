/**
 * `npm run bench -- queries`: the spatial-temporal queries of issue 8 on the seeded data set
 * (seed.ts), through the gateway (HTTP → Kafka → geo-query → PostGIS → Kafka → HTTP) and, in the
 * same process and run, the same read-model method on a pg Pool ("the same SQL run directly").
 *
 * Each query class gets its own deterministic stream of realistic parameters (a city view around a
 * random point of a metro of the fleet, an instant in the working day, a day on which the asset
 * drove, …); both sides run the same parameter sets, so the overhead can be paired request by
 * request. Closed loop at each concurrency (1, then 8): an untimed warm-up of both sides, then the
 * timed requests in alternating blocks (gateway first, then direct first, …) so drifting load on
 * the shared machine hits both sides alike. Reported per query: p50/p99 of both sides, the median
 * of the paired differences (gateway − direct) and whether the targets hold (DESIGN/issue 8: p99 <
 * 30 ms, tiles < 50 ms; median overhead ≤ 5 ms). Answers other than 2xx are counted and shown,
 * never dropped. Nothing asserts.
 *
 * The gateway side authenticates as the tenant's bootstrap administrator (`<tenant>-admin`, a bearer
 * token from the stack's identity); the direct side reads with the scope of an unrestricted admin
 * of the tenant (no region, clearance 4, every team, any hour), whose row filter adds nothing: the
 * SQL the read model ran before principals existed (BENCH_QUERIES_DIRECT=bootstrap-admin: the
 * gateway side's principal instead; see `DirectPrincipal`).
 */
import { Agent, request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import {
  HEATMAP_MAX_CELLS,
  HEATMAP_MAX_FIXES,
  PositionQueryErrors,
  TRACK_GAP_DEFAULT_SECONDS,
  TRACK_MAX_VERTICES,
} from '@meridian/contracts/assets';
import type { Bbox } from '@meridian/contracts/core';
import { Principal } from '@meridian/contracts/identity';
// Not exported from the library's index (yet): the class geo-query's OGC handlers read with.
import { OgcReads } from '@meridian/geo-query/feature-ogc';
import { AssetQueries, type ReadScope, readScope } from '@meridian/read-model/assets';
import { READ_MODEL_SESSION_OPTIONS } from '@meridian/read-model/data-source';
import { PositionQueries } from '@meridian/read-model/positions';
import { type TileLimits, TileQueries } from '@meridian/read-model/tiles';
import { testPrincipal } from '@meridian/shared/testing';
import { geoQueryConfigSchema } from '../apps/geo-query/src/config';
import type { ServiceName } from '../tools/stack';
import { tenantAdminClientId } from './bearer';
import { type CommandsEnvironment, type CommandsSystem, settle } from './commands-stack';
import { type BenchResult, fmt, median, now, percentile, result, round, say } from './harness';
import { AssetTrack, offset, planFleet, pointIn, prng, type SeedAsset, seedSize } from './seed-generator';
import type { SeedInfo } from './seed';

export interface QueriesParams {
  /** Timed requests per query, side and concurrency. */
  readonly requests: number;
  /** Untimed requests per side first. */
  readonly warmup: number;
  readonly concurrency: readonly number[];
  /** Alternating blocks the timed requests are cut into. */
  readonly blocks: number;
  /** Only these queries (BENCH_QUERIES=at-bbox,nearest); all when empty. */
  readonly only: readonly string[];
  /** Whose scope the direct side reads with (BENCH_QUERIES_DIRECT; see `directPrincipal`). */
  readonly direct: DirectPrincipal;
}

/**
 * `unrestricted` (default): an admin of the tenant no attribute restricts, so the direct SQL is
 * the unrestricted one, as before principals existed. `bootstrap-admin`: the principal the gateway
 * side acts as, `<tenant>-admin` as identity's bootstrap creates it (no region, every team, any
 * hour, clearance 0): a like-for-like comparison while that account has clearance 0, whose reads
 * take the filtered path (a sensitivity predicate, positions joined to asset_latest, no heatmap
 * roll-up).
 */
export type DirectPrincipal = 'unrestricted' | 'bootstrap-admin';

const directPrincipalOf = (value: string | undefined): DirectPrincipal => {
  if (value === undefined || value === '' || value === 'unrestricted') return 'unrestricted';
  if (value === 'bootstrap-admin') return value;
  throw new Error(`BENCH_QUERIES_DIRECT=${value}: expected unrestricted or bootstrap-admin`);
};

export function queriesParams(scale: number): QueriesParams {
  const concurrency = (process.env.BENCH_QUERIES_CONCURRENCY ?? '1,8')
    .split(',')
    .map((c) => Number(c.trim()))
    .filter((c) => Number.isInteger(c) && c > 0);
  return {
    requests: Math.max(40, Math.round(300 * Math.min(scale, 1) ** 0.5)),
    warmup: 20,
    concurrency: concurrency.length > 0 ? concurrency : [1],
    blocks: 6,
    only: (process.env.BENCH_QUERIES ?? '')
      .split(',')
      .map((q) => q.trim())
      .filter(Boolean),
    direct: directPrincipalOf(process.env.BENCH_QUERIES_DIRECT),
  };
}

/** Ports of its own (the `commands` stack has 28080–28084), so the two never meet. */
export const QUERIES_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 28180,
  identity: 28181,
  workflow: 28182,
  projection: 28183,
  'geo-query': 28184,
};
/** identity's OpenID Connect port of the `queries` stack. */
export const QUERIES_OIDC_PORT = 28186;

const TARGET_P99_MS = 30;
const TARGET_TILE_P99_MS = 50;
const TARGET_OVERHEAD_MS = 5;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The read-model classes geo-query answers with, on the benchmark's own pool. */
interface Direct {
  readonly pool: Pool;
  readonly positions: PositionQueries;
  readonly assets: AssetQueries;
  readonly tiles: TileQueries;
  readonly ogc: OgcReads;
}

/** One request of a query class: the gateway path and the same method called directly. */
interface Call {
  readonly path: string;
  readonly direct: (d: Direct, scope: ReadScope) => Promise<unknown>;
}

/** The direct side's principal: an administrator of the tenant, unrestricted or as bootstrapped (DirectPrincipal). */
export const directPrincipal = (tenant: string, which: DirectPrincipal): Principal =>
  Principal.parse(
    JSON.parse(
      testPrincipal(tenant, {
        subject: tenantAdminClientId(tenant),
        kind: 'service-account',
        ...(which === 'bootstrap-admin' ? { clearance: 0 } : {}),
      }),
    ) as unknown,
  );

interface QueryCase {
  readonly name: string;
  readonly title: string;
  readonly targetMs: number;
  readonly make: (random: () => number) => Call;
}

/** What the generator knows about the seeded fleet (the same plan the seed loaded). */
interface Fleet {
  readonly assets: readonly SeedAsset[];
  readonly mobile: readonly SeedAsset[];
  readonly trips: ReadonlyMap<string, readonly { start: number; end: number }[]>;
  readonly start: number;
  readonly end: number;
}

function fleetOf(info: SeedInfo): Fleet {
  const start = Date.parse(info.start);
  const end = Date.parse(info.end);
  const assets = planFleet(seedSize(info.scale));
  const mobile = assets.filter((a) => a.kind !== 'sensor' && a.fixes > 0);
  const trips = new Map(mobile.map((a) => [a.id, new AssetTrack(a, info.tenant, start, end).tripWindows] as const));
  return { assets, mobile, trips, start, end };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const pickOf = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** A box of `widthM` × `heightM` metres around a point. */
function boxAround(p: { lon: number; lat: number }, widthM: number, heightM: number): Bbox {
  const sw = offset(p.lon, p.lat, -widthM / 2, -heightM / 2);
  const ne = offset(p.lon, p.lat, widthM / 2, heightM / 2);
  const r = (x: number) => Math.round(x * 1e5) / 1e5;
  return [r(sw.lon), r(sw.lat), r(ne.lon), r(ne.lat)];
}

/** An instant in a working day (09:00–18:00 local) of the window, whole seconds. */
function workingInstant(random: () => number, fleet: Fleet, utcOffset: number): number {
  const days = Math.floor((fleet.end - fleet.start) / DAY_MS);
  const day = Math.floor(fleet.start / DAY_MS) + 1 + Math.floor(random() * (days - 2));
  const t = day * DAY_MS + (9 + random() * 9 - utcOffset) * HOUR_MS;
  return Math.floor(Math.min(fleet.end - 1000, Math.max(fleet.start, t)) / 1000) * 1000;
}

/** Slippy-map tile of a point at zoom z. */
function tileOf(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return { z, x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)) };
}

const qs = (params: Record<string, string | number>): string =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');

/** geo-query's tile limits (GEO_QUERY_TILE_MAX_FEATURES/BYTES), set when the benchmark starts. */
let tileLimits: TileLimits = { maxFeatures: 10_000, maxBytes: 640 * 1024 };
const EUROPE: Bbox = [-11, 35, 25, 61];

function cases(fleet: Fleet): QueryCase[] {
  const metroOf = (random: () => number) => pickOf(random, fleet.assets).metro; // weighted by the fleet
  /** A trip of a random mobile asset (the asset and a trip it made). */
  const tripOf = (random: () => number) => {
    for (;;) {
      const asset = pickOf(random, fleet.mobile);
      const trips = fleet.trips.get(asset.id) ?? [];
      if (trips.length > 0) return { asset, trip: pickOf(random, trips) };
    }
  };
  return [
    {
      // Not an issue 8 query: the floor — what the request–reply path costs around a primary-key lookup.
      name: 'get-asset',
      title: 'GET /v1/assets/{id} — one asset by id (the floor: request–reply around a key lookup)',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const asset = pickOf(random, fleet.assets);
        return {
          path: `/v1/assets/${asset.id}`,
          direct: (d, scope) =>
            d.pool.query(
              `SELECT asset_id, tenant_id, name, kind, status, version, geom, ts, speed, heading
               FROM read.asset_latest WHERE asset_id = $1 AND tenant_id = $2 AND name IS NOT NULL`,
              [asset.id, scope.principal.tenantId],
            ),
        };
      },
    },
    {
      name: 'at-bbox',
      title: 'GET /v1/assets?bbox&at&maxAge — where was everything at T (city view)',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const bbox = boxAround(pointIn(metro, random), 20_000, 15_000);
        const at = iso(workingInstant(random, fleet, metro.utcOffset));
        return {
          path: `/v1/assets?${qs({ bbox: bbox.join(','), at, maxAge: 600 })}`,
          direct: (d, scope) => d.positions.at(scope, at, 600, bbox, 100),
        };
      },
    },
    {
      name: 'latest-bbox',
      title: 'GET /v1/assets?bbox — latest positions in a city view',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const bbox = boxAround(pointIn(metroOf(random), random), 20_000, 15_000);
        return {
          path: `/v1/assets?${qs({ bbox: bbox.join(',') })}`,
          direct: (d, scope) => d.assets.inBbox(scope, bbox, 100),
        };
      },
    },
    {
      name: 'track-day',
      title: 'GET /v1/assets/{id}/track — one day with a trip, simplify 5 m',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const { asset, trip } = tripOf(random);
        const from = Math.max(fleet.start, Math.floor((trip.start - random() * 12 * HOUR_MS) / 1000) * 1000);
        const window = { from: iso(from), to: iso(from + DAY_MS) };
        return {
          path: `/v1/assets/${asset.id}/track?${qs({ ...window, simplify: 5 })}`,
          direct: (d, scope) => d.positions.track(scope, asset.id, window, 5, TRACK_GAP_DEFAULT_SECONDS),
        };
      },
    },
    {
      name: 'track-week',
      title: 'GET /v1/assets/{id}/track — seven days, simplify 20 m',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const { asset, trip } = tripOf(random);
        const to = Math.min(fleet.end, Math.ceil((trip.end + random() * DAY_MS) / 1000) * 1000);
        const window = { from: iso(to - 7 * DAY_MS), to: iso(to) };
        return {
          path: `/v1/assets/${asset.id}/track?${qs({ ...window, simplify: 20 })}`,
          direct: (d, scope) => d.positions.track(scope, asset.id, window, 20, TRACK_GAP_DEFAULT_SECONDS),
        };
      },
    },
    {
      name: 'nearest',
      title: 'GET /v1/assets/nearest?lon&lat&k=10',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const p = pointIn(metroOf(random), random);
        const [lon, lat] = [Math.round(p.lon * 1e5) / 1e5, Math.round(p.lat * 1e5) / 1e5];
        return {
          path: `/v1/assets/nearest?${qs({ lon, lat, k: 10 })}`,
          direct: (d, scope) => d.assets.nearest(scope, { lon, lat }, 10),
        };
      },
    },
    {
      name: 'nearest-filtered',
      title: 'GET /v1/assets/nearest?lon&lat&k=10&kind=vehicle&status=available',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const p = pointIn(metroOf(random), random);
        const [lon, lat] = [Math.round(p.lon * 1e5) / 1e5, Math.round(p.lat * 1e5) / 1e5];
        return {
          path: `/v1/assets/nearest?${qs({ lon, lat, k: 10, kind: 'vehicle', status: 'available' })}`,
          direct: (d, scope) => d.assets.nearest(scope, { lon, lat }, 10, { kind: 'vehicle', status: 'available' }),
        };
      },
    },
    {
      name: 'heatmap-city-week',
      title: 'GET /v1/heatmap — a metro, seven days, resolution 7 (hourly roll-up)',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const bbox = boxAround(metro, metro.radiusM * 2.4, metro.radiusM * 2.4);
        const to = Math.floor(workingInstant(random, fleet, metro.utcOffset) / HOUR_MS) * HOUR_MS;
        const window = { from: iso(Math.max(fleet.start, to - 7 * DAY_MS)), to: iso(to) };
        return {
          path: `/v1/heatmap?${qs({ bbox: bbox.join(','), ...window, resolution: 7 })}`,
          direct: (d, scope) => d.positions.heatmap(scope, bbox, window, 7),
        };
      },
    },
    {
      name: 'heatmap-europe-month',
      title: 'GET /v1/heatmap — Europe, the whole 30 days, resolution 5',
      targetMs: TARGET_P99_MS,
      make: () => {
        const window = { from: iso(fleet.start), to: iso(fleet.end) };
        return {
          path: `/v1/heatmap?${qs({ bbox: EUROPE.join(','), ...window, resolution: 5 })}`,
          direct: (d, scope) => d.positions.heatmap(scope, EUROPE, window, 5),
        };
      },
    },
    {
      name: 'heatmap-fine',
      title: 'GET /v1/heatmap — a district, one day, resolution 9 (counted from the fixes)',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const bbox = boxAround(pointIn(metro, random), 5_000, 5_000);
        const from = Math.floor(workingInstant(random, fleet, metro.utcOffset) / HOUR_MS) * HOUR_MS - 8 * HOUR_MS;
        const window = { from: iso(Math.max(fleet.start, from)), to: iso(Math.min(fleet.end, from + DAY_MS)) };
        return {
          path: `/v1/heatmap?${qs({ bbox: bbox.join(','), ...window, resolution: 9 })}`,
          direct: (d, scope) => d.positions.heatmap(scope, bbox, window, 9),
        };
      },
    },
    {
      name: 'tile-assets',
      title: 'GET /v1/tiles/assets/{z}/{x}/{y}.mvt — zoom 12 in a metro',
      targetMs: TARGET_TILE_P99_MS,
      make: (random) => {
        const p = pointIn(metroOf(random), random);
        const t = tileOf(p.lon, p.lat, 12);
        return {
          path: `/v1/tiles/assets/${t.z}/${t.x}/${t.y}.mvt`,
          direct: (d, scope) => d.tiles.tile('assets', scope, t, tileLimits),
        };
      },
    },
    {
      name: 'tile-positions',
      title: 'GET /v1/tiles/positions/{z}/{x}/{y}.mvt?from&to — zoom 13, one day',
      targetMs: TARGET_TILE_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const p = pointIn(metro, random);
        const t = tileOf(p.lon, p.lat, 13);
        const from = Math.floor(workingInstant(random, fleet, metro.utcOffset) / HOUR_MS) * HOUR_MS - 8 * HOUR_MS;
        const window = { from: iso(Math.max(fleet.start, from)), to: iso(Math.min(fleet.end, from + DAY_MS)) };
        return {
          path: `/v1/tiles/positions/${t.z}/${t.x}/${t.y}.mvt?${qs(window)}`,
          direct: (d, scope) => d.tiles.tile('positions', scope, t, tileLimits, window),
        };
      },
    },
    {
      name: 'tile-positions-z8',
      title:
        'GET /v1/tiles/positions/{z}/{x}/{y}.mvt?from&to — zoom 8 (a whole metro), one day (aggregated below zoom 10)',
      targetMs: TARGET_TILE_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const t = tileOf(metro.lon, metro.lat, 8);
        const from = Math.floor(workingInstant(random, fleet, metro.utcOffset) / HOUR_MS) * HOUR_MS - 8 * HOUR_MS;
        const window = { from: iso(Math.max(fleet.start, from)), to: iso(Math.min(fleet.end, from + DAY_MS)) };
        return {
          path: `/v1/tiles/positions/${t.z}/${t.x}/${t.y}.mvt?${qs(window)}`,
          direct: (d, scope) => d.tiles.tile('positions', scope, t, tileLimits, window),
        };
      },
    },
    {
      name: 'tile-zones',
      title: 'GET /v1/tiles/zones/{z}/{x}/{y}.mvt — zoom 12 (the seed draws no zones)',
      targetMs: TARGET_TILE_P99_MS,
      make: (random) => {
        const p = pointIn(metroOf(random), random);
        const t = tileOf(p.lon, p.lat, 12);
        return {
          path: `/v1/tiles/zones/${t.z}/${t.x}/${t.y}.mvt`,
          direct: (d, scope) => d.tiles.tile('zones', scope, t, tileLimits),
        };
      },
    },
    {
      name: 'ogc-positions',
      title: 'GET /ogc/collections/positions/items?bbox&datetime — a district, one hour, limit 100',
      targetMs: TARGET_P99_MS,
      make: (random) => {
        const metro = metroOf(random);
        const bbox = boxAround(pointIn(metro, random), 5_000, 5_000);
        const from = Math.floor(workingInstant(random, fleet, metro.utcOffset) / 1000) * 1000;
        const datetime = { start: iso(from), end: iso(from + HOUR_MS) };
        return {
          path: `/ogc/collections/positions/items?${qs({
            bbox: bbox.join(','),
            datetime: `${datetime.start}/${datetime.end}`,
            limit: 100,
          })}`,
          direct: (d, scope) => d.ogc.items(scope, 'positions', { bbox: [bbox], datetime }, 100),
        };
      },
    },
  ];
}

/** One side's latencies (ms) by request index; NaN where it failed. */
interface Side {
  readonly ms: number[];
  readonly outcomes: Record<string, number>;
  readonly examples: Record<string, string>;
}

const newSide = (n: number): Side => ({ ms: new Array<number>(n).fill(Number.NaN), outcomes: {}, examples: {} });

function count(side: Side, outcome: string, example?: string): void {
  side.outcomes[outcome] = (side.outcomes[outcome] ?? 0) + 1;
  if (example !== undefined && side.examples[outcome] === undefined) side.examples[outcome] = example.slice(0, 300);
}

/** GET over a keep-alive agent; resolves with the status and body once the whole body is in. */
function get(agent: Agent, system: CommandsSystem, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: system.host,
        port: system.port,
        path,
        agent,
        headers: { ...system.auth.get(), accept: 'application/geo+json, application/json, */*' },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout (30 s)')));
    req.on('error', fail);
    req.end();
  });
}

async function runGateway(
  agent: Agent,
  system: CommandsSystem,
  calls: readonly Call[],
  indexes: readonly number[],
  concurrency: number,
  side: Side,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let k = next++; k < indexes.length; k = next++) {
      const i = indexes[k];
      const t = now();
      try {
        const res = await get(agent, system, calls[i].path);
        const ms = now() - t;
        if (res.status >= 200 && res.status < 300) {
          side.ms[i] = ms;
          count(side, String(res.status));
        } else count(side, String(res.status), `${calls[i].path} → ${res.body.toString('utf8')}`);
      } catch (err) {
        count(side, 'error', `${calls[i].path} → ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function runDirect(
  direct: Direct,
  principal: Principal,
  calls: readonly Call[],
  indexes: readonly number[],
  concurrency: number,
  side: Side,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let k = next++; k < indexes.length; k = next++) {
      const i = indexes[k];
      const t = now();
      try {
        // A scope per request, as geo-query makes one with the time it received the request.
        await calls[i].direct(direct, readScope(principal, new Date()));
        side.ms[i] = now() - t;
        count(side, 'ok');
      } catch (err) {
        const e = err as Error & { code?: string };
        count(side, e.code ? `rejected ${e.code}` : 'error', `${calls[i].path} → ${e.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface QueryMeasurement {
  readonly name: string;
  readonly title: string;
  readonly concurrency: number;
  readonly targetMs: number;
  readonly gateway: Stats;
  readonly direct: Stats;
  /** Median over request pairs (same parameters) of gateway − direct, in ms. */
  readonly medianOverheadMs: number;
  readonly p99TargetMet: boolean;
  readonly overheadTargetMet: boolean;
}

interface Stats {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly ok: number;
  readonly outcomes: Record<string, number>;
  readonly examples: Record<string, string>;
}

function statsOf(side: Side): Stats {
  const ok = side.ms.filter((x) => Number.isFinite(x));
  return {
    p50: round(percentile(ok, 50)),
    p90: round(percentile(ok, 90)),
    p99: round(percentile(ok, 99)),
    max: round(ok.length ? Math.max(...ok) : Number.NaN),
    mean: round(ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : Number.NaN),
    ok: ok.length,
    outcomes: side.outcomes,
    examples: side.examples,
  };
}

async function measure(
  system: CommandsSystem,
  direct: Direct,
  c: QueryCase,
  params: QueriesParams,
  concurrency: number,
): Promise<QueryMeasurement> {
  // The same parameter stream for every concurrency and both sides.
  const random = prng([...c.name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0, 2166136261));
  const warm = Array.from({ length: params.warmup }, () => c.make(random));
  const calls = Array.from({ length: params.requests }, () => c.make(random));
  const principal = directPrincipal(system.tenant, params.direct);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const warmIdx = warm.map((_, i) => i);
    await runGateway(agent, system, warm, warmIdx, concurrency, newSide(warm.length));
    await runDirect(direct, principal, warm, warmIdx, concurrency, newSide(warm.length));
    const gateway = newSide(calls.length);
    const plain = newSide(calls.length);
    const per = Math.ceil(calls.length / params.blocks);
    for (let b = 0; b < params.blocks; b++) {
      const idx = Array.from({ length: Math.min(per, calls.length - b * per) }, (_, i) => b * per + i);
      if (idx.length === 0) break;
      const http = () => runGateway(agent, system, calls, idx, concurrency, gateway);
      const sql = () => runDirect(direct, principal, calls, idx, concurrency, plain);
      if (b % 2 === 0) {
        await http();
        await sql();
      } else {
        await sql();
        await http();
      }
    }
    const diffs = calls.map((_, i) => gateway.ms[i] - plain.ms[i]).filter((d) => Number.isFinite(d));
    const g = statsOf(gateway);
    const d = statsOf(plain);
    const medianOverheadMs = round(median(diffs));
    return {
      name: c.name,
      title: c.title,
      concurrency,
      targetMs: c.targetMs,
      gateway: g,
      direct: d,
      medianOverheadMs,
      p99TargetMet: g.ok === calls.length && g.p99 < c.targetMs,
      overheadTargetMet: Number.isFinite(medianOverheadMs) && medianOverheadMs <= TARGET_OVERHEAD_MS,
    };
  } finally {
    agent.destroy();
  }
}

const outcomeText = (s: Stats): string =>
  Object.entries(s.outcomes)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');

export async function queriesBenchmark(
  env: CommandsEnvironment,
  info: SeedInfo,
  params: QueriesParams,
): Promise<BenchResult[]> {
  const fleet = fleetOf(info);
  const all = cases(fleet);
  const chosen = params.only.length ? all.filter((c) => params.only.includes(c.name)) : all;
  const system = await env.start();
  const maxConcurrency = Math.max(...params.concurrency);
  const pool = new Pool({
    connectionString: system.databaseUrl,
    max: maxConcurrency * 2, // OGC items runs its page and its count at once
    application_name: 'meridian-bench-queries',
    // The same session settings as the services' read pools, so "direct" runs the same plans.
    options: READ_MODEL_SESSION_OPTIONS,
  });
  // Configured as geo-query configures them (its settings, read from the same environment).
  const geoQuery = geoQueryConfigSchema
    .pick({
      GEO_QUERY_TILE_MAX_FEATURES: true,
      GEO_QUERY_TILE_MAX_BYTES: true,
      GEO_QUERY_TILE_AGGREGATE_BELOW_ZOOM: true,
      GEO_QUERY_OGC_COUNT_CAP: true,
    })
    .parse(process.env);
  tileLimits = { maxFeatures: geoQuery.GEO_QUERY_TILE_MAX_FEATURES, maxBytes: geoQuery.GEO_QUERY_TILE_MAX_BYTES };
  const positions = new PositionQueries(
    pool,
    {
      maxTrackVertices: TRACK_MAX_VERTICES,
      maxHeatmapCells: HEATMAP_MAX_CELLS,
      maxHeatmapFixes: HEATMAP_MAX_FIXES,
      codes: PositionQueryErrors,
    },
    info.resolutions,
  );
  const direct: Direct = {
    pool,
    positions,
    assets: new AssetQueries(pool),
    tiles: new TileQueries(pool, {
      counter: positions,
      resolutions: info.resolutions,
      belowZoom: geoQuery.GEO_QUERY_TILE_AGGREGATE_BELOW_ZOOM,
    }),
    ogc: new OgcReads(pool, { countCap: geoQuery.GEO_QUERY_OGC_COUNT_CAP }),
  };
  const measured: QueryMeasurement[] = [];
  const loadStart = Math.round(loadavg()[0] * 100) / 100;
  try {
    // The workflow's relay publishes the seeded assets' events at the first start; wait for the quiet.
    await settle(system, 'the first query', 120_000);
    say(
      `  ${chosen.length} queries × concurrency ${params.concurrency.join(', ')}: ${params.warmup} warm-up + ` +
        `${params.requests} timed requests per side, in ${params.blocks} alternating blocks; gateway as ` +
        `${system.tenant}-admin (bearer token), direct as the ${params.direct} admin (BENCH_QUERIES_DIRECT)`,
    );
    for (const concurrency of params.concurrency) {
      for (const c of chosen) {
        const m = await measure(system, direct, c, params, concurrency);
        measured.push(m);
        say(
          `  c${concurrency} ${c.name.padEnd(20)} gateway p50 ${fmt(m.gateway.p50)} p99 ${fmt(m.gateway.p99)} ms | ` +
            `direct p50 ${fmt(m.direct.p50)} p99 ${fmt(m.direct.p99)} ms | overhead ${fmt(m.medianOverheadMs)} ms` +
            `${m.gateway.ok < params.requests ? ` | gateway: ${outcomeText(m.gateway)}` : ''}` +
            `${m.direct.ok < params.requests ? ` | direct: ${outcomeText(m.direct)}` : ''}`,
        );
        for (const [outcome, example] of Object.entries({ ...m.gateway.examples })) {
          say(`    gateway ${outcome}: ${example}`);
        }
        for (const [outcome, example] of Object.entries({ ...m.direct.examples })) {
          say(`    direct ${outcome}: ${example}`);
        }
      }
    }
  } finally {
    await pool.end();
  }
  const report: QueriesReport = {
    timestamp: new Date().toISOString(),
    seed: info,
    params,
    loadAverage: { start: loadStart, end: Math.round(loadavg()[0] * 100) / 100 },
    measured,
  };
  const files = writeQueriesReport(resolve(__dirname, 'results'), report);
  say(`  wrote ${files.map((f) => join('bench', 'results', f.split('/').pop() ?? f)).join(', ')}`);
  return measured.map((m) =>
    result({
      name: `queries-${m.name}-c${m.concurrency}`,
      title: `${m.name} (concurrency ${m.concurrency}), p50`,
      value: m.gateway.p50,
      unit: 'ms',
      baseline: m.direct.p50,
      baselineName: 'direct SQL',
      valueName: 'gateway',
      better: 'lower',
      parameters: { query: m.title, concurrency: m.concurrency, requests: params.requests, warmup: params.warmup },
      details: {
        gateway: m.gateway,
        direct: m.direct,
        medianOverheadMs: m.medianOverheadMs,
        targetP99Ms: m.targetMs,
        p99TargetMet: m.p99TargetMet,
        overheadTargetMet: m.overheadTargetMet,
        chartNote:
          `p99 gateway ${fmt(m.gateway.p99)} ms / direct ${fmt(m.direct.p99)} ms (target < ${m.targetMs} ms: ` +
          `${m.p99TargetMet ? 'met' : 'missed'}); median overhead ${fmt(m.medianOverheadMs)} ms ` +
          `(≤ ${TARGET_OVERHEAD_MS}: ${m.overheadTargetMet ? 'met' : 'missed'})`,
      },
    }),
  );
}

export interface QueriesReport {
  readonly timestamp: string;
  readonly seed: SeedInfo;
  readonly params: QueriesParams;
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly measured: readonly QueryMeasurement[];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const cell = (x: number): string => (Number.isFinite(x) ? fmt(x) : '–');

/** The markdown table of a run (also pasted into docs/performance-queries.md). */
export function queriesTable(report: QueriesReport): string {
  const lines = [
    '| query | conc. | gateway p50 | p99 | direct p50 | p99 | median overhead | target met? |',
    '| ----- | ----: | ----------: | --: | ---------: | --: | --------------: | ----------- |',
  ];
  for (const m of report.measured) {
    const failures = m.gateway.ok < report.params.requests ? ` (gateway: ${outcomeText(m.gateway)})` : '';
    lines.push(
      `| \`${m.name}\` | ${m.concurrency} | ${cell(m.gateway.p50)} | ${cell(m.gateway.p99)} | ` +
        `${cell(m.direct.p50)} | ${cell(m.direct.p99)} | ${cell(m.medianOverheadMs)} | ` +
        `p99 < ${m.targetMs}: ${m.p99TargetMet ? 'yes' : '**no**'}; ` +
        `overhead ≤ ${TARGET_OVERHEAD_MS}: ${m.overheadTargetMet ? 'yes' : '**no**'}${failures} |`,
    );
  }
  return lines.join('\n');
}

/** `results/queries.json`, `results/queries.md` and `results/queries.svg` (the last run of this benchmark). */
export function writeQueriesReport(dir: string, report: QueriesReport): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'queries.json');
  const md = join(dir, 'queries.md');
  const svg = join(dir, 'queries.svg');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const s = report.seed;
  writeFileSync(
    md,
    `# Queries benchmark — ${report.timestamp}\n\n` +
      `Seed: ${fmt(s.positions)} positions of ${fmt(s.assets)} assets, ${s.days} days (${s.start} → ${s.end}), ` +
      `scale ${s.scale}. ${report.params.requests} timed requests per query, side and concurrency after ` +
      `${report.params.warmup} warm-up; load average ${report.loadAverage.start} → ${report.loadAverage.end}. ` +
      'Latencies in ms; overhead = median over request pairs of gateway − direct. ' +
      `Gateway requests carry the token of ${s.tenant}-admin; the direct side reads as the ` +
      `${report.params.direct} admin.\n\n` +
      `${queriesTable(report)}\n`,
  );
  writeFileSync(svg, renderQueriesSvg(report));
  return [json, md, svg];
}

/**
 * Per query and concurrency a pair of rows (gateway, direct), each with its p50 (dark) and p99
 * (light) bar on one log scale, and the query's p99 target as a dashed red mark.
 */
export function renderQueriesSvg(report: QueriesReport): string {
  const width = 1100;
  const labelW = 330;
  const plotW = 640;
  const rowH = 20;
  const groupH = 2 * rowH + 14;
  const top = 84;
  const rows = report.measured;
  const height = top + rows.length * groupH + 60;
  const values = rows.flatMap((m) => [m.gateway.p99, m.direct.p99, m.gateway.p50, m.direct.p50, m.targetMs]);
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...finite, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...finite, 100)));
  const span = Math.log10(hi) - Math.log10(lo);
  const x = (v: number): number =>
    labelW + (Number.isFinite(v) && v > 0 ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotW : 0);
  const s = report.seed;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="Helvetica, Arial, sans-serif" font-size="12">',
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    '<text x="16" y="26" font-size="18" font-weight="bold">' +
      'Meridian queries — through the gateway vs the same SQL directly</text>',
    `<text x="16" y="46" fill="#555">${esc(
      `${report.timestamp} · ${fmt(s.positions)} positions, ${fmt(s.assets)} assets, ${s.days} days ` +
        `(scale ${s.scale}) · ` +
        `${report.params.requests} requests per side · load avg ${report.loadAverage.start}→${report.loadAverage.end}`,
    )}</text>`,
    '<text x="16" y="64" fill="#555">' +
      'p50 dark, p99 light; blue: gateway, grey: direct; red mark: the p99 target; log scale (ms)</text>',
  ];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    parts.push(
      `<line x1="${x(d).toFixed(1)}" y1="${top - 8}" x2="${x(d).toFixed(1)}" y2="${height - 40}" stroke="#e2e8f0"/>`,
      `<text x="${x(d).toFixed(1)}" y="${height - 26}" fill="#777" text-anchor="middle">${esc(fmt(d))}</text>`,
    );
  }
  rows.forEach((m, i) => {
    const y = top + i * groupH;
    parts.push(
      `<text x="16" y="${y + 14}" font-weight="bold">${esc(`${m.name} · c${m.concurrency}`)}</text>`,
      `<text x="16" y="${y + 32}" fill="#555">${esc(
        `overhead ${cell(m.medianOverheadMs)} ms · ` +
          `${m.p99TargetMet && m.overheadTargetMet ? 'targets met' : 'target missed'}`,
      )}</text>`,
    );
    const bar = (stats: Stats, yy: number, dark: string, light: string, label: string) => {
      parts.push(
        `<rect x="${labelW}" y="${yy}" width="${Math.max(1, x(stats.p99) - labelW).toFixed(1)}" ` +
          `height="${rowH - 4}" fill="${light}"/>`,
        `<rect x="${labelW}" y="${yy}" width="${Math.max(1, x(stats.p50) - labelW).toFixed(1)}" ` +
          `height="${rowH - 4}" fill="${dark}"/>`,
        `<text x="${(Math.max(x(stats.p99), labelW) + 6).toFixed(1)}" y="${yy + 12}">${esc(
          `${label} ${cell(stats.p50)} / ${cell(stats.p99)}${stats.ok === 0 ? ' (no successful answer)' : ''}`,
        )}</text>`,
      );
    };
    bar(m.gateway, y + 2, '#2b6cb0', '#90cdf4', 'gateway');
    bar(m.direct, y + 2 + rowH, '#4a5568', '#cbd5e0', 'direct');
    const tx = x(m.targetMs).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${y}" x2="${tx}" y2="${y + 2 * rowH}" stroke="#c53030" stroke-dasharray="4,3"/>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
