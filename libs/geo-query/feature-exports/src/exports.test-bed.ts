import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { createGunzip } from 'node:zlib';
import { type DynamicModule, Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import type { ExportFilter, ExportJob } from '@meridian/contracts/exports';
import { type Principal } from '@meridian/contracts/identity';
import { createReadModelDataSource, migrateReadModel, poolOf, READ_POOL } from '@meridian/read-model/data-source';
import { ExportJobs } from '@meridian/read-model/exports';
import { dayOf, PositionPartitions } from '@meridian/read-model/positions';
import type { ExportStorage } from '@meridian/shared/export-storage';
import type { ReplyBody } from '@meridian/shared/messaging';
import { testDatabaseUrl, testPrincipal } from '@meridian/shared/testing';
import { ExportSweeper } from './expire-exports/export-sweeper';
import type { ExportsOptions } from './exports.options';
import { EXPORT_STORAGE, GeoQueryExportsModule } from './geo-query-exports.module';
import { GetExportHandler } from './get-export/get-export.handler';
import { ListExportsHandler } from './list-exports/list-exports.handler';
import { ExportDispatcher } from './run-exports/export-dispatcher';
import { StartExportHandler } from './start-export/start-export.handler';

/** Redis DB of the export tests (TEST_EXPORTS_REDIS_DB, default 12): theirs alone, so FLUSHDB is safe. */
export function exportsRedisUrl(): string {
  const base = new URL(process.env['TEST_REDIS_URL'] || process.env['REDIS_URL'] || 'redis://127.0.0.1:6379');
  base.pathname = `/${process.env['TEST_EXPORTS_REDIS_DB'] || '12'}`;
  return base.toString();
}

export async function openReadModel(poolSize = 8): Promise<{ dataSource: DataSource; pool: Pool }> {
  const dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize }).initialize();
  await migrateReadModel(dataSource);
  return { dataSource, pool: poolOf(dataSource) };
}

export const uniqueTenant = (prefix: string): string => `${prefix}${randomBytes(4).toString('hex')}`;

export interface Caller {
  readonly tenantId: string;
  readonly header: string;
}

export const caller = (tenantId: string, overrides: Partial<Principal> = {}): Caller => ({
  tenantId,
  header: testPrincipal(tenantId, overrides),
});

const envelope = <T>(who: Caller, data: T): Envelope<T> => ({
  id: randomUUID(),
  type: 'meridian.geo-query.test',
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId: who.tenantId,
  principal: who.header,
});

/** A reply's result, or a thrown Error whose message is the refusal's code. */
function resultOf<T>(body: ReplyBody): T {
  const reply = QueryReplyV1.schema.parse(body.data);
  if (reply.outcome !== 'ok') throw new Error(reply.code);
  return reply.result as T;
}

/** The code a handler refuses with (CodedError), or 'ok'. */
export async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

/** geo-query's export module over the test database, in a Nest application context of its own. */
export class ExportsApp {
  private constructor(
    readonly app: INestApplicationContext,
    readonly dispatcher: ExportDispatcher,
    readonly sweeper: ExportSweeper,
    readonly jobs: ExportJobs,
    readonly storage: ExportStorage,
    private readonly starter: StartExportHandler,
    private readonly getter: GetExportHandler,
    private readonly lister: ListExportsHandler,
  ) {}

  static async open(pool: Pool, options: Partial<ExportsOptions> & { readonly dir: string }): Promise<ExportsApp> {
    @Global()
    @Module({ providers: [{ provide: READ_POOL, useValue: pool }], exports: [READ_POOL] })
    class TestPoolModule {}
    @Module({})
    class ExportsTestRoot {}
    const root: DynamicModule = {
      module: ExportsTestRoot,
      imports: [
        TestPoolModule,
        GeoQueryExportsModule.forRoot({
          redisUrl: exportsRedisUrl(),
          concurrency: 2,
          ttlHours: 24,
          maxActivePerPrincipal: 5,
          sweepMs: 3_600_000,
          reconcileMs: 2000,
          markerCheckMs: 250,
          leaseMs: 5000,
          maxAttempts: 3,
          retryBaseMs: 200,
          progressMs: 200,
          lockDurationMs: 2000,
          stalledIntervalMs: 1000,
          instanceId: `test-${randomBytes(3).toString('hex')}`,
          ...options,
        }),
      ],
    };
    const app = await NestFactory.createApplicationContext(root, { logger: false });
    await app.init();
    return new ExportsApp(
      app,
      app.get(ExportDispatcher),
      app.get(ExportSweeper),
      app.get(ExportJobs),
      app.get<ExportStorage>(EXPORT_STORAGE),
      app.get(StartExportHandler),
      app.get(GetExportHandler),
      app.get(ListExportsHandler),
    );
  }

  async start(who: Caller, filter: ExportFilter, exportId: string = randomUUID()): Promise<ExportJob> {
    return resultOf<ExportJob>(await this.starter.start(envelope(who, { exportId, filter })));
  }

  async get(who: Caller, exportId: string): Promise<ExportJob> {
    return resultOf<ExportJob>(await this.getter.get(envelope(who, { exportId })));
  }

  async list(who: Caller, limit: number, after?: string): Promise<{ items: ExportJob[]; after: string | null }> {
    return resultOf(await this.lister.list(envelope(who, { limit, ...(after ? { after } : {}) })));
  }

  /** The export's file, gunzipped. */
  async content(job: ExportJob): Promise<string> {
    if (!job.file) throw new Error(`export ${job.id} has no file (state ${job.state})`);
    const stored = await this.storage.get(job.file.key);
    if (!stored) throw new Error(`no file under ${job.file.key}`);
    return text(stored.body.pipe(createGunzip()));
  }

  /** Graceful shutdown, as the service's. */
  async close(): Promise<void> {
    await this.app.close();
  }

  /** As a crash: the dispatcher stops without handing its jobs back; the context is closed after. */
  async kill(): Promise<void> {
    await this.dispatcher.kill();
    await this.app.close();
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `meridian-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Seeds `n` fixes for each asset, a second apart from `start`, with SQL (`generate_series`). */
export async function seedPositions(
  pool: Pool,
  tenantId: string,
  assets: readonly { readonly id: string; readonly lon: number; readonly lat: number }[],
  start: Date,
  perAsset: number,
  stepMs = 1000,
): Promise<void> {
  await pool.query(
    `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, alt, speed, heading, battery, accuracy)
     SELECT $1, a.id, $3::timestamptz + make_interval(secs => (g * $5::float8) / 1000),
            ST_SetSRID(ST_MakePoint(a.lon + (g % 100) * 0.0001, a.lat + (g % 37) * 0.0001), 4326),
            (g % 50)::real, (g % 30)::real * 0.5, (g % 360)::real, NULL, 3.5
     FROM unnest($2::uuid[], $6::float8[], $7::float8[]) AS a(id, lon, lat), generate_series(0, $4::int - 1) g`,
    [
      tenantId,
      assets.map((a) => a.id),
      start.toISOString(),
      perAsset,
      stepMs,
      assets.map((a) => a.lon),
      assets.map((a) => a.lat),
    ],
  );
}

/** The day partitions of read.positions from `from` for `days` days. */
export async function ensurePartitions(pool: Pool, from: Date, days: number): Promise<void> {
  const first = dayOf(from.getTime());
  await new PositionPartitions(pool).ensure(Array.from({ length: days }, (_, i) => first + i));
}

/** A strict RFC 4180 reader (CRLF line ends): rows of fields, quotes undone. */
export function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('unterminated last CSV row');
  return rows;
}
