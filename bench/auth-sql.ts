/**
 * `auth` benchmark, part (c): what the row filter costs in SQL. The bbox list query of the read
 * model (`AssetQueries.inBbox`, limit 100, the page the API serves) straight against PostgreSQL
 * for an unrestricted administrator (the filter adds nothing) and for one restricted to a region
 * covering the west half of the bbox (the filter adds an ST_Intersects with the region), on a
 * seeded asset_latest: `assets` assets of the tenant and as many of another tenant, spread over an
 * area four times the bbox. Same pool settings as geo-query's read pool, one request at a time,
 * alternating blocks. The bootstrap administrator as identity creates it (clearance 0: the filter
 * adds a sensitivity comparison) is measured alongside. One EXPLAIN ANALYZE per principal is kept.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { Bbox } from '@meridian/contracts/core';
import type { Principal, Region } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { READ_MODEL_SESSION_OPTIONS } from '@meridian/read-model/data-source';
import { describePlanNode, flattenPlan, type PlanNode } from '@meridian/shared/testing';
import { median, now, percentile, round } from './harness';
import { prng } from './seed-generator';

export interface SqlParams {
  /** Assets of the tenant (and as many of another tenant) seeded into asset_latest. */
  readonly assets: number;
  readonly warmup: number;
  /** Timed queries per principal. */
  readonly requests: number;
  readonly blocks: number;
}

/** Where the seeded assets lie (around Berlin), the query's bbox (its middle quarter) and the region. */
export const AREA = { lon: 13.2, lat: 52.4, width: 0.4, height: 0.2 } as const;
export const QUERY_BBOX: Bbox = [13.3, 52.45, 13.5, 52.55];
/** The west half of QUERY_BBOX. */
export const HALF_REGION: Region = {
  type: 'Polygon',
  coordinates: [
    [
      [13.3, 52.45],
      [13.4, 52.45],
      [13.4, 52.55],
      [13.3, 52.55],
      [13.3, 52.45],
    ],
  ],
};
const LIMIT = 100;
const micro = (x: number): number => Math.round(x * 1e6) / 1e6;
/** Share of the seeded assets with sensitivity 3 (hidden from clearance 0). */
const SENSITIVE_SHARE = 0.1;

export interface SqlSide {
  readonly principal: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  /** Features on the page. */
  readonly rows: number;
  readonly plan: { readonly nodes: string[]; readonly executionMs: number | null };
}

export interface SqlResult {
  readonly unrestricted: SqlSide;
  readonly restricted: SqlSide;
  readonly bootstrapAdmin: SqlSide;
  readonly medianDifferenceMs: number;
}

/**
 * `assets` assets of `tenant` and as many of another tenant into read.asset_latest (registered,
 * available, each with a position), then ANALYZE. Returns one id of the tenant, sensitivity 0.
 */
export async function seedAssets(pool: Pool, tenant: string, assets: number): Promise<string> {
  const random = prng(9);
  const rows = Array.from({ length: 2 * assets }, (_, i) => ({
    id: randomUUID(),
    tenant: i % 2 === 0 ? tenant : `${tenant}-other`,
    lon: micro(AREA.lon + random() * AREA.width),
    lat: micro(AREA.lat + random() * AREA.height),
    sensitivity: random() < SENSITIVE_SHARE ? 3 : 0,
  }));
  await pool.query(
    `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts, sensitivity)
     SELECT r.id, r.tenant, 'auth bench ' || r.n, 'vehicle', 'available', 1,
            ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326), now(), r.sensitivity
     FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::int[])
          WITH ORDINALITY AS r(id, tenant, lon, lat, sensitivity, n)`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.tenant),
      rows.map((r) => r.lon),
      rows.map((r) => r.lat),
      rows.map((r) => r.sensitivity),
    ],
  );
  await pool.query('ANALYZE read.asset_latest');
  const readable = rows.find((r) => r.tenant === tenant && r.sensitivity === 0);
  if (!readable) throw new Error('no asset of sensitivity 0 was seeded');
  return readable.id;
}

interface PlanJson {
  readonly Plan: PlanNode;
  readonly 'Execution Time'?: number;
}

/** The query's plan, run through a pool whose `query` prefixes EXPLAIN ANALYZE (the read model's own SQL). */
async function explain(pool: Pool, principal: Principal): Promise<SqlSide['plan']> {
  let plan: PlanJson | undefined;
  const explaining = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (text: string, values: unknown[]) => {
        const res = await target.query<{ 'QUERY PLAN': PlanJson[] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
          values,
        );
        plan = res.rows[0]['QUERY PLAN'][0];
        return { rows: [] };
      };
    },
  });
  await new AssetQueries(explaining).inBbox(readScope(principal, new Date()), QUERY_BBOX, LIMIT);
  if (!plan) return { nodes: [], executionMs: null };
  return { nodes: flattenPlan(plan.Plan).map(describePlanNode), executionMs: plan['Execution Time'] ?? null };
}

export async function sqlBenchmark(
  databaseUrl: string,
  params: SqlParams,
  sides: { readonly unrestricted: Principal; readonly restricted: Principal; readonly bootstrapAdmin: Principal },
): Promise<SqlResult> {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 1,
    application_name: 'meridian-bench-auth',
    options: READ_MODEL_SESSION_OPTIONS,
  });
  try {
    const queries = new AssetQueries(pool);
    const order = ['unrestricted', 'restricted', 'bootstrapAdmin'] as const;
    const ms: Record<(typeof order)[number], number[]> = { unrestricted: [], restricted: [], bootstrapAdmin: [] };
    const rows: Record<(typeof order)[number], number> = { unrestricted: 0, restricted: 0, bootstrapAdmin: 0 };
    const once = async (side: (typeof order)[number]): Promise<number> => {
      const t = now();
      const page = await queries.inBbox(readScope(sides[side], new Date()), QUERY_BBOX, LIMIT);
      rows[side] = page.items.length;
      return now() - t;
    };
    for (const side of order) for (let i = 0; i < params.warmup; i++) await once(side);
    const per = Math.ceil(params.requests / params.blocks);
    for (let b = 0; b < params.blocks; b++) {
      // Rotate which principal goes first, so no side always follows the same one.
      const rotated = [...order.slice(b % order.length), ...order.slice(0, b % order.length)];
      for (const side of rotated) for (let i = 0; i < per; i++) ms[side].push(await once(side));
    }
    const sideOf = async (side: (typeof order)[number], label: string): Promise<SqlSide> => ({
      principal: label,
      p50: round(percentile(ms[side], 50)),
      p90: round(percentile(ms[side], 90)),
      p99: round(percentile(ms[side], 99)),
      mean: round(ms[side].reduce((a, b) => a + b, 0) / ms[side].length),
      rows: rows[side],
      plan: await explain(pool, sides[side]),
    });
    const diffs = ms.restricted.map((x, i) => x - ms.unrestricted[i]);
    return {
      unrestricted: await sideOf('unrestricted', 'unrestricted admin (clearance 4, no region)'),
      restricted: await sideOf('restricted', 'admin restricted to the west half of the bbox'),
      bootstrapAdmin: await sideOf('bootstrapAdmin', 'bootstrap <tenant>-admin as identity makes it (clearance 0)'),
      medianDifferenceMs: round(median(diffs)),
    };
  } finally {
    await pool.end();
  }
}

/** How many of the tenant's seeded assets lie in the query's bbox (for the report). */
export async function countInBbox(pool: Pool, tenant: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM read.asset_latest
     WHERE tenant_id = $1 AND ST_Intersects(geom, ST_MakeEnvelope($2, $3, $4, $5, 4326))`,
    [tenant, ...QUERY_BBOX],
  );
  return Number(rows[0].n);
}
