/**
 * `npm run bench -- auth`: the authorization overhead per request (issue 9).
 *
 *  (a) in process (auth-micro.ts): token verification (new and cached), principal lookup,
 *      permission check, row filter compilation, the request budget in Redis;
 *  (b) through HTTP on a running stack of its own (auth-http.ts): authenticated routes vs public ones;
 *  (c) in SQL (auth-sql.ts): the bbox list query for an unrestricted vs a region-restricted principal
 *      on a seeded asset_latest in `meridian_bench_auth` (the stack's database: created fresh,
 *      dropped at the end).
 *
 * (a) runs before the stack starts, on a quiet machine. Every figure has a baseline measured in the
 * same run; the table is printed and written to results/auth.json and results/auth.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import type { Principal } from '@meridian/contracts/identity';
import type { ServiceName } from '../tools/stack';
import { tenantAdminClientId } from './bearer';
import { type HttpPair, type HttpParams, httpBenchmarks } from './auth-http';
import { type MicroPair, type MicroParams, microBenchmarks, principals } from './auth-micro';
import {
  countInBbox,
  HALF_REGION,
  QUERY_BBOX,
  seedAssets,
  type SqlParams,
  sqlBenchmark,
  type SqlSide,
} from './auth-sql';
import { type CommandsEnvironment, settle } from './commands-stack';
import { type BenchResult, fmt, result, round, say, scaled } from './harness';
import { loadAverage1m } from './report';

export const AUTH_DATABASE = 'meridian_bench_auth';
export const AUTH_TENANT = 'bench-auth';
/** Ports of its own (`commands` has 28080–28084, `queries` 28180–28184). */
export const AUTH_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 28280,
  identity: 28281,
  workflow: 28282,
  projection: 28283,
  'geo-query': 28284,
};
export const AUTH_OIDC_PORT = 28286;

export interface AuthParams {
  readonly micro: MicroParams;
  readonly http: HttpParams;
  readonly sql: SqlParams;
}

export function authParams(scale: number): AuthParams {
  const s = Math.min(scale, 1);
  return {
    micro: {
      batch: scaled(20_000, s, 1000),
      rounds: 8,
      verifyBatch: scaled(200, s, 20),
      verifyRounds: 8,
      redisBatch: scaled(500, s, 50),
    },
    http: { warmup: scaled(200, s, 20), requests: scaled(2000, s, 100), blocks: 8 },
    sql: { assets: 4000, warmup: scaled(50, s, 10), requests: scaled(1000, s, 60), blocks: 6 },
  };
}

/** The µs per request of the in-process steps a request with a known token takes (the cached path). */
const PER_REQUEST_STEPS = ['auth-verify-cached', 'auth-principal-lookup', 'auth-permission', 'auth-filter'];

export interface AuthReport {
  readonly timestamp: string;
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly params: AuthParams;
  readonly micro: readonly MicroPair[];
  /** Sum of PER_REQUEST_STEPS (region-restricted principal), µs; the request budget apart (a Redis call). */
  readonly inProcessPerRequestUs: number;
  readonly budgetUs: number | null;
  readonly http: readonly HttpPair[];
  readonly sql: {
    readonly bbox: readonly number[];
    readonly limit: number;
    readonly tenantAssets: number;
    readonly inBbox: number;
    readonly unrestricted: SqlSide;
    readonly restricted: SqlSide;
    readonly bootstrapAdmin: SqlSide;
    readonly medianDifferenceMs: number;
  };
}

export async function authBenchmark(env: CommandsEnvironment, params: AuthParams): Promise<BenchResult[]> {
  const loadStart = loadAverage1m();
  say('  (a) in process: verifier, principal lookup, permission check, row filter, request budget');
  const micro = await microBenchmarks(params.micro, AUTH_TENANT, HALF_REGION);
  for (const m of micro) {
    say(
      `    ${m.name.padEnd(22)} ${m.valueName} ${fmt(m.value.usPerOp)} µs/op | ${m.baselineName} ` +
        `${fmt(m.baseline.usPerOp)} µs/op`,
    );
  }
  say('  (b), (c): starting the stack');
  const system = await env.start();
  const seedPool = new Pool({ connectionString: system.databaseUrl, max: 1, application_name: 'meridian-bench-auth' });
  let assetId: string;
  let inBbox: number;
  try {
    assetId = await seedAssets(seedPool, AUTH_TENANT, params.sql.assets);
    inBbox = await countInBbox(seedPool, AUTH_TENANT);
  } finally {
    await seedPool.end();
  }
  say(`  seeded ${fmt(2 * params.sql.assets)} assets into asset_latest (${fmt(inBbox)} of the tenant's in the bbox)`);
  await settle(system, 'the HTTP requests', 20_000);
  say(`  (b) HTTP: ${params.http.requests} requests per route after ${params.http.warmup} warm-up, one at a time`);
  const http = await httpBenchmarks(system, params.http, assetId);
  for (const h of http) {
    say(
      `    ${h.name.padEnd(22)} ${h.authenticated.path} p50 ${fmt(h.authenticated.p50)} p99 ` +
        `${fmt(h.authenticated.p99)} ms | ${h.public.path} p50 ${fmt(h.public.p50)} p99 ${fmt(h.public.p99)} ms | ` +
        `median difference ${fmt(h.medianDifferenceMs)} ms`,
    );
    if (h.authenticated.example) say(`      ${h.authenticated.example}`);
    if (h.public.example) say(`      ${h.public.example}`);
  }
  say(`  (c) SQL: the bbox list query, ${params.sql.requests} per principal`);
  const { unrestricted, restricted } = principals(AUTH_TENANT, HALF_REGION);
  const bootstrapAdmin: Principal = { ...unrestricted, subject: tenantAdminClientId(AUTH_TENANT), clearance: 0 };
  const sql = await sqlBenchmark(system.databaseUrl, params.sql, { unrestricted, restricted, bootstrapAdmin });

  const stepUs = micro.filter((m) => PER_REQUEST_STEPS.includes(m.name)).reduce((a, m) => a + m.value.usPerOp, 0);
  const budget = micro.find((m) => m.name === 'auth-budget');
  const cpu = cpus();
  const report: AuthReport = {
    timestamp: new Date().toISOString(),
    loadAverage: { start: loadStart, end: loadAverage1m() },
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', node: process.version },
    params,
    micro,
    inProcessPerRequestUs: round(stepUs),
    budgetUs: budget ? budget.value.usPerOp : null,
    http,
    sql: { bbox: QUERY_BBOX, limit: 100, tenantAssets: params.sql.assets, inBbox, ...sql },
  };
  const tables = authTables(report);
  process.stdout.write(`\n${tables}\n\n`);
  const files = writeAuthReport(resolve(__dirname, 'results'), report, tables);
  say(`  wrote ${files.map((f) => join('bench', 'results', f.split('/').pop() ?? f)).join(', ')}`);
  return results(report);
}

function results(report: AuthReport): BenchResult[] {
  const micro = report.micro.map((m) =>
    result({
      name: m.name,
      title: m.title,
      value: m.value.usPerOp,
      unit: 'µs/op',
      baseline: m.baseline.usPerOp,
      baselineName: m.baselineName,
      valueName: m.valueName,
      better: 'lower',
      parameters: { calls: m.calls },
      details: { value: m.value, baseline: m.baseline, ...(m.details ?? {}) },
    }),
  );
  const http = report.http.map((h) =>
    result({
      name: h.name,
      title: `${h.title}, p50`,
      value: h.authenticated.p50,
      unit: 'ms',
      baseline: h.public.p50,
      baselineName: h.public.path,
      valueName: h.authenticated.path.startsWith('/v1/assets/') ? '/v1/assets/{id}' : h.authenticated.path,
      better: 'lower',
      parameters: { requests: report.params.http.requests, concurrency: 1 },
      details: {
        authenticated: h.authenticated,
        public: h.public,
        medianDifferenceMs: h.medianDifferenceMs,
        chartNote:
          `p99 ${fmt(h.authenticated.p99)} vs ${fmt(h.public.p99)} ms; ` +
          `median paired difference ${fmt(h.medianDifferenceMs)} ms`,
      },
    }),
  );
  const s = report.sql;
  const sql = result({
    name: 'auth-sql-bbox',
    title: `asset_latest bbox page (limit ${s.limit}), region-restricted vs unrestricted principal, p50`,
    value: s.restricted.p50,
    unit: 'ms',
    baseline: s.unrestricted.p50,
    baselineName: 'unrestricted',
    valueName: 'region-restricted',
    better: 'lower',
    parameters: { requests: report.params.sql.requests, tenantAssets: s.tenantAssets, inBbox: s.inBbox },
    details: {
      restricted: s.restricted,
      unrestricted: s.unrestricted,
      bootstrapAdmin: s.bootstrapAdmin,
      medianDifferenceMs: s.medianDifferenceMs,
      chartNote:
        `p99 ${fmt(s.restricted.p99)} vs ${fmt(s.unrestricted.p99)} ms; bootstrap admin (clearance 0) p50 ` +
        `${fmt(s.bootstrapAdmin.p50)} ms`,
    },
  });
  return [...micro, ...http, sql];
}

const cell = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : fmt(x));

/** The three tables of a run, markdown. */
export function authTables(r: AuthReport): string {
  const lines = [
    `Authorization overhead — ${r.timestamp}; ${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ` +
      `${r.machine.node}; load average ${r.loadAverage.start} → ${r.loadAverage.end}`,
    '',
    '(a) In process (median of rounds)',
    '',
    '| step | measured | µs/op | ops/s | baseline | µs/op | ops/s | ratio |',
    '| ---- | -------- | ----: | ----: | -------- | ----: | ----: | ----: |',
    ...r.micro.map((m) => {
      const ratio = round(m.value.usPerOp / m.baseline.usPerOp);
      return (
        `| \`${m.name}\` | ${m.valueName} | ${cell(m.value.usPerOp)} | ${cell(m.value.opsPerS)} | ` +
        `${m.baselineName} | ${cell(m.baseline.usPerOp)} | ${cell(m.baseline.opsPerS)} | ${cell(ratio)} |`
      );
    }),
    '',
    `A request with a known token, region-restricted principal (${PER_REQUEST_STEPS.join(' + ')}): ` +
      `${cell(r.inProcessPerRequestUs)} µs; plus the request budget in Redis: ${cell(r.budgetUs)} µs.`,
    '',
    '(b) Through HTTP (one request at a time, keep-alive; ms)',
    '',
    '| pair | authenticated | p50 | p99 | public | p50 | p99 | p50 diff | p99 diff | median paired diff |',
    '| ---- | ------------- | --: | --: | ------ | --: | --: | -------: | -------: | -----------------: |',
    ...r.http.map(
      (h) =>
        `| \`${h.name}\` | ${h.authenticated.path.replace(/\/v1\/assets\/.*/, '/v1/assets/{id}')} | ` +
        `${cell(h.authenticated.p50)} | ${cell(h.authenticated.p99)} | ${h.public.path} | ${cell(h.public.p50)} | ` +
        `${cell(h.public.p99)} | ${cell(h.p50DifferenceMs)} | ${cell(h.p99DifferenceMs)} | ` +
        `${cell(h.medianDifferenceMs)} |`,
    ),
    '',
    `(c) SQL: AssetQueries.inBbox, bbox ${r.sql.bbox.join(',')}, limit ${r.sql.limit}; ${fmt(r.sql.tenantAssets)} ` +
      `assets of the tenant (${fmt(r.sql.inBbox)} in the bbox) and as many of another; region = west half of the bbox`,
    '',
    '| principal | p50 ms | p90 ms | p99 ms | rows | plan | EXPLAIN ANALYZE ms |',
    '| --------- | -----: | -----: | -----: | ---: | ---- | -----------------: |',
    ...[r.sql.unrestricted, r.sql.restricted, r.sql.bootstrapAdmin].map(
      (s) =>
        `| ${s.principal} | ${cell(s.p50)} | ${cell(s.p90)} | ${cell(s.p99)} | ${s.rows} | ` +
        `${s.plan.nodes.join(' → ')} | ${cell(s.plan.executionMs)} |`,
    ),
    '',
    `Median paired difference (restricted − unrestricted): ${cell(r.sql.medianDifferenceMs)} ms.`,
  ];
  return lines.join('\n');
}

/** `results/auth.json` (everything) and `results/auth.md` (the tables): the last run of this benchmark. */
export function writeAuthReport(dir: string, report: AuthReport, tables: string): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'auth.json');
  const md = join(dir, 'auth.md');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, `# Auth benchmark\n\n${tables}\n`);
  return [json, md];
}
