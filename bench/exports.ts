/**
 * Export jobs (issue 13): rows per second of one export of a million positions in each format
 * (CSV, NDJSON, GeoJSON), streamed from PostgreSQL (`COPY (SELECT …) TO STDOUT`) through the format
 * and gzip into the export storage, with the process's peak RSS and heap growth and the file sizes.
 *
 *   node -r @swc-node/register bench/exports.ts [csv] [ndjson] [geojson] [--rows=1000000] [--scale=0.1]
 *
 * The read model is migrated into the benchmark database (BENCH_PG_URL) and a tenant of its own
 * gets the positions (1,000 assets, a fix every 10 minutes: a week), deleted at the end, as are
 * the jobs and files. Each export runs through `ExportRunner` as geo-query's worker runs it
 * (claim, count, stream, record), without BullMQ in between (Redis adds one hop per job, nothing
 * per row). Baseline, same run: the same SELECT as a plain COPY into a sink that drops the bytes —
 * what PostgreSQL alone costs, so the ratio is the share of the database's pace the export keeps.
 *
 * Environment: BENCH_PG_URL, BENCH_SCALE. Run through bench/run.ts (`npm run bench -- exports`), whose
 * entry point for it is `exportsBenchmark`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ExportFormat } from '@meridian/contracts/exports';
import { ExportRunner } from '@meridian/geo-query/feature-exports';
import { readScope } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { ExportJobs, exportStatement, inlineParams } from '@meridian/read-model/exports';
import { dayOf, PositionPartitions } from '@meridian/read-model/positions';
import { DirectoryStorage } from '@meridian/shared/export-storage';
import { type BenchResult, fmt, now, result, round, say, scaled, withTicker } from './harness';
import { ensureDatabase, infraConfig } from './infra';

export interface ExportsParams {
  readonly pgUrl: string;
  readonly rows: number;
  readonly formats: readonly ExportFormat[];
}

const ASSETS = 1000;
const STEP_MS = 10 * 60_000;
const START = Date.UTC(2024, 8, 2);
const MiB = 1024 * 1024;

/** One format's run, for the results' details. */
interface ExportRun {
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly fileMiB: number;
  readonly peakRssGrowthMiB: number;
  readonly peakHeapGrowthMiB: number;
}

/** Peak RSS and heap over `work`, sampled every 20 ms, as growth over their values before it. */
async function peakMemory<T>(work: Promise<T>): Promise<{ value: T; rss: number; heap: number }> {
  const before = process.memoryUsage();
  let rss = before.rss;
  let heap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 20);
  try {
    const value = await work;
    return { value, rss: rss - before.rss, heap: heap - before.heapUsed };
  } finally {
    clearInterval(sampler);
  }
}

async function seed(pool: Pool, tenantId: string, rows: number): Promise<void> {
  const perAsset = Math.ceil(rows / ASSETS);
  const days = Math.ceil((perAsset * STEP_MS) / 86_400_000) + 1;
  await new PositionPartitions(pool).ensure(Array.from({ length: days }, (_, i) => dayOf(START) + i));
  await pool.query(
    `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, alt, speed, heading, accuracy)
     SELECT $1, a.id, $2::timestamptz + make_interval(secs => g * $4::float8 / 1000),
            ST_SetSRID(ST_MakePoint(6 + (a.n % 40) * 0.1 + g * 0.00001, 46 + (a.n / 40) * 0.1), 4326),
            (g % 50)::real, (g % 30)::real * 0.5, (g % 360)::real, 3.5
     FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(0, $5::int - 1) n) a,
          generate_series(0, $3::int - 1) g
     WHERE a.n * $3::int + g < $6::int`,
    [tenantId, new Date(START).toISOString(), perAsset, STEP_MS, ASSETS, rows],
  );
  await pool.query('ANALYZE read.positions');
}

export async function exportsBenchmark(runId: string, p: ExportsParams): Promise<BenchResult[]> {
  await ensureDatabase(p.pgUrl);
  const dataSource = await createReadModelDataSource({ url: p.pgUrl, poolSize: 4 }).initialize();
  const dir = await mkdtemp(join(tmpdir(), 'meridian-bench-exports-'));
  // A tenant id is lowercase letters, digits and dashes (the run id has an underscore).
  const tenantId = `bench-exports-${runId.replace(/_/g, '-')}`;
  try {
    await migrateReadModel(dataSource);
    const pool = poolOf(dataSource);
    say(`exports: seeding ${fmt(p.rows)} positions for ${tenantId}`);
    const seeded = now();
    await seed(pool, tenantId, p.rows);
    say(`exports: seeded in ${fmt((now() - seeded) / 1000)} s`);
    const window = {
      from: new Date(START).toISOString(),
      to: new Date(START + 8 * 86_400_000).toISOString(),
    };
    const principal = {
      tenantId,
      subject: 'bench',
      kind: 'user' as const,
      roles: ['viewer' as const],
      platformAdmin: false,
      region: null,
      clearance: 4,
      teams: null,
      hours: null,
    };

    say('exports baseline: the same SELECT as a plain COPY into a sink');
    const statement = exportStatement(readScope(principal), { kind: 'positions', format: 'csv', ...window });
    const client = await pool.connect();
    let baselineBytes = 0;
    const baselineMs = await (async () => {
      const t = now();
      try {
        const sink = new Writable({
          write(chunk: Buffer, _e, done) {
            baselineBytes += chunk.length;
            done();
          },
        });
        await pipeline(
          client.query(copyTo(`COPY (${inlineParams(statement.select, statement.params)}) TO STDOUT`)),
          sink,
        );
      } finally {
        client.release();
      }
      return now() - t;
    })();
    const baseline = p.rows / (baselineMs / 1000);
    say(`  COPY alone: ${fmt(baseline)} rows/s (${fmt(baselineBytes / MiB)} MiB of COPY text)`);

    const jobs = new ExportJobs(pool);
    const runner = new ExportRunner({
      pool,
      jobs,
      storage: new DirectoryStorage(dir),
      owner: `bench-${runId}`,
      leaseMs: 60_000,
      progressMs: 1000,
      ttlHours: 1,
      maxAttempts: 1,
    });
    const results: BenchResult[] = [];
    for (const format of p.formats) {
      const id = randomUUID();
      await jobs.start(
        { id, tenantId, subject: 'bench', principal, filter: { kind: 'positions', format, ...window } },
        100,
      );
      const t = now();
      const measured = await withTicker(
        peakMemory(runner.run(id, new AbortController().signal)),
        () => `${format}: ${fmt(runner.inProgress.get(id)?.rows ?? 0)} rows`,
      );
      const seconds = (now() - t) / 1000;
      const outcome = measured.value;
      if (outcome.outcome !== 'succeeded') {
        const why = await pool.query<{ error_detail: string | null }>(
          'SELECT error_detail FROM exports.jobs WHERE id = $1',
          [id],
        );
        throw new Error(`${format} export ended ${JSON.stringify(outcome)}: ${why.rows[0]?.error_detail ?? '?'}`);
      }
      const run: ExportRun = {
        seconds: round(seconds),
        rowsPerSecond: round(outcome.rows / seconds),
        fileMiB: round(outcome.bytes / MiB),
        peakRssGrowthMiB: round(measured.rss / MiB),
        peakHeapGrowthMiB: round(measured.heap / MiB),
      };
      say(
        `  ${format}: ${fmt(outcome.rows)} rows in ${fmt(seconds)} s = ${fmt(run.rowsPerSecond)} rows/s; ` +
          `file ${fmt(run.fileMiB)} MiB gzip; peak RSS +${fmt(run.peakRssGrowthMiB)} MiB, ` +
          `heap +${fmt(run.peakHeapGrowthMiB)} MiB`,
      );
      results.push(
        result({
          name: `exports_${format}`,
          title: `Export of ${fmt(outcome.rows)} positions as ${format} (gzip)`,
          value: run.rowsPerSecond,
          unit: 'rows/s',
          baseline,
          baselineName: 'plain COPY of the same SELECT',
          valueName: 'export',
          better: 'higher',
          parameters: { rows: p.rows, format, assets: ASSETS },
          details: { ...run, baselineCopyMiB: round(baselineBytes / MiB) },
        }),
      );
    }
    return results;
  } finally {
    const pool = poolOf(dataSource);
    await pool.query(`DELETE FROM read.positions WHERE tenant_id = $1`, [tenantId]).catch(() => undefined);
    await pool.query(`DELETE FROM exports.jobs WHERE tenant_id = $1`, [tenantId]).catch(() => undefined);
    await dataSource.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

export function exportsParams(argv: readonly string[], scale: number): ExportsParams {
  const formats = argv.filter((a): a is ExportFormat => ['csv', 'ndjson', 'geojson'].includes(a));
  const rows = argv.find((a) => a.startsWith('--rows='));
  return {
    pgUrl: infraConfig().pgUrl,
    rows: rows ? Number(rows.slice('--rows='.length)) : scaled(1_000_000, scale, 1000),
    formats: formats.length ? formats : ['csv', 'ndjson', 'geojson'],
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scaleArg = argv.find((a) => a.startsWith('--scale='));
  const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : Number(process.env.BENCH_SCALE ?? 1);
  const results = await exportsBenchmark(Date.now().toString(36), exportsParams(argv, scale));
  results.forEach((r) => say(`${r.title}: ${fmt(r.value)} ${r.unit}, ratio to plain COPY ${fmt(r.ratio)}`));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    say(`exports benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
