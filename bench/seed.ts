/**
 * `npm run bench -- seed`: loads the data set of seed-generator.ts (scale 1: 10,000 assets, 30 days
 * ending at the hour of the load, 10,000,000 positions) straight into a database of its own,
 * `meridian_bench_queries` — the API refuses fixes older than its window, and a month of history
 * through Kafka would take the projection's time, not the queries'.
 *
 * What the stack knows, written the way the stack writes it:
 * - the tenant: identity's `registerTenant` on identity's event store, with the command id of
 *   identity's bootstrap (`IDENTITY_BOOTSTRAP_TENANTS`), so the stack's own bootstrap is a no-op;
 * - the assets: the workflow's decider through `handle()` on the workflow's event store (registered,
 *   then their status), so the workflow knows them and its relay publishes them when it starts;
 *   asset_latest's registration columns through `AssetLatestWriter` (the projection's writer, with
 *   the same stream versions: the projection's later delivery of the same events changes nothing);
 * - read.positions by COPY (`copyLines`) in time order, hour by hour, into day partitions made by
 *   `PositionPartitions.ensure`; read.position_cells by `countCells` + `insertCellCounts` of each
 *   hour's fixes (H3_RESOLUTIONS, default 5,7, as the services); asset_latest's position columns
 *   (each asset's last fix, `previous_ts` the one before) at the end.
 *
 * The GiST index on positions is dropped during the load and built afterwards (BENCH_SEED_GIST=keep
 * keeps it; see docs/performance-queries.md for the measurement). Then VACUUM ANALYZE and a marker
 * row in `bench_seed.marker`: a later run with the same scale and generator version skips the load
 * (`--fresh` forces it).
 */
import { Pool, type PoolClient } from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { registerTenant } from '@meridian/identity/feature-tenants';
import { AssetLatestWriter, type AssetRegistration, type StatusChange } from '@meridian/read-model/assets';
import {
  COPY_COLUMNS,
  copyLines,
  countCells,
  dayOf,
  insertCellCounts,
  PositionPartitions,
} from '@meridian/read-model/positions';
import { handle } from '@meridian/shared/decider';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { baseConfigSchema } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { assetDecider, assetStreamId, SYSTEM_ACCESS } from '@meridian/workflow/domain';
import { migrateReadModels } from '../tools/migrate';
import { type BenchResult, fmt, now, result, round, runWorkers, say } from './harness';
import { databaseUrl, ensureDatabase, recreateDatabase } from './infra';
import {
  AssetTrack,
  DAY_MS,
  GENERATOR_VERSION,
  planFleet,
  type SeedAsset,
  type SeedFix,
  type SeedStatus,
  seedSize,
} from './seed-generator';

export const QUERIES_DATABASE = 'meridian_bench_queries';
export const QUERIES_TENANT = 'bench-queries';
const HOUR_MS = 3_600_000;

export interface SeedOptions {
  readonly scale: number;
  readonly fresh: boolean;
  /** Keep the GiST index on positions during the load, or drop it and build it at the end. */
  readonly gist: 'keep' | 'rebuild';
}

/** What `bench_seed.marker` records about the loaded data set. */
export interface SeedInfo {
  readonly scale: number;
  readonly generatorVersion: number;
  readonly tenant: string;
  readonly assets: number;
  readonly positions: number;
  readonly days: number;
  readonly resolutions: readonly number[];
  /** The window of the data: [start, end). */
  readonly start: string;
  readonly end: string;
  readonly loadedAt: string;
  readonly loadSeconds: number;
  readonly phases: Readonly<Record<string, number>>;
}

export interface Seeded {
  readonly url: string;
  readonly info: SeedInfo;
  /** False when the database held this seed already. */
  readonly loaded: boolean;
  readonly result: BenchResult | null;
}

/** The H3 resolutions the services count (H3_RESOLUTIONS, same default). */
export const seedResolutions = (): number[] => baseConfigSchema.shape.H3_RESOLUTIONS.parse(process.env.H3_RESOLUTIONS);

async function readMarker(pool: Pool): Promise<SeedInfo | null> {
  try {
    const { rows } = await pool.query<{ info: SeedInfo }>('SELECT info FROM bench_seed.marker WHERE id = 1');
    return rows[0]?.info ?? null;
  } catch {
    return null; // no marker table: nothing (complete) was loaded here
  }
}

/** Loads the seed unless the database holds it already (same scale, generator and resolutions). */
export async function seedDatabase(pgUrl: string, options: SeedOptions): Promise<Seeded> {
  const url = databaseUrl(pgUrl, QUERIES_DATABASE);
  const size = seedSize(options.scale);
  const resolutions = seedResolutions();
  await ensureDatabase(url);
  const probe = new Pool({ connectionString: url, max: 1 });
  const marker = await readMarker(probe).finally(() => probe.end());
  if (
    marker &&
    !options.fresh &&
    marker.scale === options.scale &&
    marker.generatorVersion === GENERATOR_VERSION &&
    marker.resolutions.join(',') === resolutions.join(',')
  ) {
    say(
      `seed: ${QUERIES_DATABASE} holds this seed already ` +
        `(scale ${marker.scale}, generator v${marker.generatorVersion}, ` +
        `${fmt(marker.positions)} positions of ${fmt(marker.assets)} assets, ${marker.start} → ${marker.end}, ` +
        `loaded ${marker.loadedAt}); skipping (--fresh reloads)`,
    );
    return { url, info: marker, loaded: false, result: null };
  }
  say(
    marker
      ? `seed: ${QUERIES_DATABASE} holds another seed (scale ${marker.scale}, v${marker.generatorVersion})` +
          `${options.fresh ? ' and --fresh was given' : ''}; reloading`
      : `seed: no complete seed in ${QUERIES_DATABASE}; loading`,
  );
  const info = await load(url, size, resolutions, options);
  const positionsRate = info.positions / (info.phases['positionsS'] ?? Number.NaN);
  const overall = info.positions / info.loadSeconds;
  return {
    url,
    info,
    loaded: true,
    result: result({
      name: 'seed',
      title: `Seed: ${fmt(info.positions)} positions of ${fmt(info.assets)} assets over ${info.days} days`,
      value: overall,
      unit: 'positions/s',
      baseline: positionsRate,
      baselineName: 'the positions phase alone (generate, COPY, cells)',
      valueName: 'whole load',
      better: 'higher',
      parameters: { scale: options.scale, gist: options.gist, resolutions, generatorVersion: GENERATOR_VERSION },
      details: { phasesS: info.phases, start: info.start, end: info.end },
    }),
  };
}

/** A single updating line on a terminal (a line every 10 s otherwise): done, rate, ETA. */
class ProgressBar {
  private readonly started = now();
  private lastDraw = 0;
  private readonly tty = process.stdout.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
  ) {}

  update(done: number, extra = ''): void {
    const t = now();
    if (t - this.lastDraw < (this.tty ? 250 : 10_000)) return;
    this.lastDraw = t;
    this.draw(done, extra);
  }

  finish(done: number, extra = ''): void {
    this.draw(done, extra);
    if (this.tty) process.stdout.write('\n');
  }

  private draw(done: number, extra: string): void {
    const elapsed = (now() - this.started) / 1000;
    const share = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Number.NaN;
    const line =
      `  ${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}% ` +
      `${fmt(done)}/${fmt(this.total)} ${this.unit} · ${fmt(Math.round(rate))}/s · ` +
      `${Number.isFinite(eta) ? `ETA ${duration(eta)}` : 'ETA –'}${extra ? ` · ${extra}` : ''}`;
    if (this.tty) process.stdout.write(`\r\x1b[2K${line}`);
    else say(line.trim());
  }
}

const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

async function load(
  url: string,
  size: ReturnType<typeof seedSize>,
  resolutions: readonly number[],
  options: SeedOptions,
): Promise<SeedInfo> {
  const started = now();
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = now();
    const out = await work();
    phases[name] = round((now() - t) / 1000);
    return out;
  };
  await recreateDatabase(url);
  await migrateReadModels(url);
  const pool = new Pool({ connectionString: url, max: 8, application_name: 'meridian-bench-seed' });
  pool.on('error', (err) => say(`seed pool error: ${err.message}`));
  try {
    await migrate(pool, 'identity', eventStoreMigrations('identity'));
    await migrate(pool, 'workflow', eventStoreMigrations('workflow'));
    const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const start = end - size.days * DAY_MS;
    const fleet = planFleet(size);
    say(
      `seed: ${fmt(size.assets)} assets, ${fmt(size.positions)} positions, ${size.days} days ` +
        `(${new Date(start).toISOString()} → ${new Date(end).toISOString()}), ` +
        `H3 resolutions ${resolutions.join(',')}, ` +
        `GiST ${options.gist === 'keep' ? 'kept during the load' : 'built after the load'}`,
    );
    await phase('registerS', () => registerFleet(pool, fleet));
    const partitions = new PositionPartitions(pool);
    await partitions.ensure(Array.from({ length: size.days + 1 }, (_, i) => dayOf(start) + i));
    if (options.gist === 'rebuild') await pool.query('DROP INDEX IF EXISTS read.positions_geom');
    const tracks = fleet.map((a) => new AssetTrack(a, QUERIES_TENANT, start, end));
    const copied = await loadPositions(pool, tracks, start, end, size.positions, resolutions);
    phases['generateS'] = round(copied.generateMs / 1000);
    phases['copyS'] = round(copied.copyMs / 1000);
    phases['cellsS'] = round(copied.cellsMs / 1000);
    phases['positionsS'] = round(copied.wallMs / 1000);
    await phase('assetLatestS', () => writeLatest(pool, tracks));
    if (options.gist === 'rebuild') await phase('gistS', () => buildGist(url));
    await phase('vacuumAnalyzeS', () => vacuumAnalyze(pool));
    const loadSeconds = round((now() - started) / 1000);
    const info: SeedInfo = {
      scale: options.scale,
      generatorVersion: GENERATOR_VERSION,
      tenant: QUERIES_TENANT,
      assets: fleet.length,
      positions: copied.rows,
      days: size.days,
      resolutions: [...resolutions],
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      loadedAt: new Date().toISOString(),
      loadSeconds,
      phases,
    };
    await pool.query(`CREATE SCHEMA IF NOT EXISTS bench_seed`);
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_seed.marker (id int PRIMARY KEY, info jsonb NOT NULL)`);
    await pool.query(
      `INSERT INTO bench_seed.marker (id, info) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET info = EXCLUDED.info`,
      [JSON.stringify(info)],
    );
    await pool.query('CHECKPOINT').catch(() => undefined);
    const { rows } = await pool.query<{ bytes: string }>(`SELECT pg_database_size(current_database())::text AS bytes`);
    say(
      `seed: loaded in ${duration(loadSeconds)} (${Object.entries(phases)
        .map(([k, v]) => `${k.replace(/S$/, '')} ${fmt(v)} s`)
        .join(', ')}); database ${fmt(Number(rows[0].bytes) / 2 ** 30)} GiB`,
    );
    return info;
  } finally {
    await pool.end();
  }
}

/** The path of statuses from `registered` to the asset's status (each a ChangeAssetStatus). */
const statusPath = (status: SeedStatus): SeedStatus[] =>
  status === 'registered' ? [] : status === 'available' ? ['available'] : ['available', status];

/** The tenant in identity's store, the assets in the workflow's, their registrations in asset_latest. */
async function registerFleet(pool: Pool, fleet: readonly SeedAsset[]): Promise<void> {
  const registeredAt = new Date();
  const identity = new PgEventStore(pool, 'identity');
  // The command id of identity's bootstrap: the stack's IDENTITY_BOOTSTRAP_TENANTS finds it handled.
  const tenant = await registerTenant(
    identity,
    QUERIES_TENANT,
    QUERIES_TENANT,
    stableUuid(`bootstrap-tenant:${QUERIES_TENANT}`),
    registeredAt,
  );
  if (!tenant.ok) throw new Error(`tenant: ${tenant.code} ${tenant.detail}`);
  const store = new PgEventStore(pool, 'workflow');
  const bar = new ProgressBar('assets', fleet.length, 'assets');
  let done = 0;
  const metadata = (commandId: string) => ({
    tenantId: QUERIES_TENANT,
    correlationId: commandId,
    causationId: commandId,
    actor: 'user:bench-seed',
  });
  await runWorkers(16, fleet.length, async (i) => {
    const a = fleet[i];
    const commandId = stableUuid(`bench-seed:register:${a.id}`);
    const registered = await handle(
      store,
      assetDecider,
      assetStreamId(a.id),
      {
        type: 'RegisterAsset',
        data: {
          assetId: a.id,
          tenantId: QUERIES_TENANT,
          name: a.name,
          kind: a.kind,
          sensitivity: 0,
          team: null,
          access: SYSTEM_ACCESS,
          now: registeredAt.toISOString(),
        },
      },
      { commandId, metadata: metadata(commandId) },
    );
    if (!registered.ok) throw new Error(`asset ${a.id}: ${registered.code} ${registered.detail}`);
    for (const [step, to] of statusPath(a.status).entries()) {
      const changeId = stableUuid(`bench-seed:status:${a.id}:${step}`);
      const changed = await handle(
        store,
        assetDecider,
        assetStreamId(a.id),
        {
          type: 'ChangeAssetStatus',
          data: { assetId: a.id, tenantId: QUERIES_TENANT, to, access: SYSTEM_ACCESS, now: registeredAt.toISOString() },
        },
        { commandId: changeId, metadata: metadata(changeId) },
      );
      if (!changed.ok) throw new Error(`asset ${a.id} → ${to}: ${changed.code} ${changed.detail}`);
    }
    bar.update(++done);
  });
  bar.finish(done, 'in the workflow store');
  // asset_latest as the projection leaves it after these events (version = the stream version).
  const writer = new AssetLatestWriter(pool);
  const registrations: AssetRegistration[] = fleet.map((a) => ({
    assetId: a.id,
    tenantId: QUERIES_TENANT,
    name: a.name,
    kind: a.kind,
    status: 'registered',
    version: 1,
  }));
  const changes = (step: number): StatusChange[] =>
    fleet
      .map((a) => ({ a, to: statusPath(a.status)[step] }))
      .filter((x): x is { a: SeedAsset; to: SeedStatus } => x.to !== undefined)
      .map(({ a, to }) => ({ assetId: a.id, tenantId: QUERIES_TENANT, status: to, version: step + 2 }));
  for (let i = 0; i < registrations.length; i += 1000) {
    await expectApplied(writer.writeRegistrations(registrations.slice(i, i + 1000)));
  }
  for (const step of [0, 1]) {
    const batch = changes(step);
    for (let i = 0; i < batch.length; i += 1000) await expectApplied(writer.writeStatuses(batch.slice(i, i + 1000)));
  }
}

async function expectApplied(outcomes: Promise<(boolean | Error)[]>): Promise<void> {
  const failed = (await outcomes).find((o) => o !== true);
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error('asset_latest write not applied');
}

interface Copied {
  readonly rows: number;
  readonly generateMs: number;
  readonly copyMs: number;
  readonly cellsMs: number;
  readonly wallMs: number;
}

/**
 * Hour by hour: every asset's fixes of the hour, sorted by time (as live ingest lays them out,
 * which keeps the BRIN index on ts useful), COPY'd, then the hour's cell counts. The next hour is
 * generated while the last two are written (two connections); copy/cells times are summed over both
 * (they overlap).
 */
async function loadPositions(
  pool: Pool,
  tracks: readonly AssetTrack[],
  start: number,
  end: number,
  total: number,
  resolutions: readonly number[],
): Promise<Copied> {
  const bar = new ProgressBar('positions', total, 'positions');
  const wall = now();
  const WRITERS = 2;
  let rows = 0;
  let generateMs = 0;
  let copyMs = 0;
  let cellsMs = 0;
  const write = async (chunk: SeedFix[]): Promise<void> => {
    const client = await pool.connect();
    try {
      let t = now();
      const stream = client.query(copyFrom(`COPY read.positions ${COPY_COLUMNS} FROM STDIN`));
      const copied = pipeline(Readable.from([copyLines(chunk)]), stream);
      // The cells are counted while the server takes the COPY.
      const counts = countCells(chunk, resolutions);
      await copied;
      copyMs += now() - t;
      t = now();
      await insertCellCounts(client, counts);
      cellsMs += now() - t;
      rows += chunk.length;
      bar.update(rows, `day ${new Date(chunk[chunk.length - 1].t).toISOString().slice(0, 10)}`);
    } finally {
      client.release();
    }
  };
  // Two hours in flight at most: the next one is generated while the server stores the last two.
  const inFlight = new Set<Promise<void>>();
  for (let hour = start; hour < end; hour += HOUR_MS) {
    const t = now();
    const chunk: SeedFix[] = [];
    for (const track of tracks) if (track.nextAt < hour + HOUR_MS) track.emitUntil(hour + HOUR_MS, chunk);
    chunk.sort((a, b) => a.t - b.t);
    generateMs += now() - t;
    if (inFlight.size >= WRITERS) await Promise.race(inFlight);
    if (chunk.length === 0) continue;
    const p: Promise<void> = write(chunk).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  bar.finish(rows);
  const left = tracks.reduce((s, tr) => s + (tr.asset.fixes - tr.emitted), 0);
  if (left !== 0 || rows !== total) say(`  note: ${fmt(rows)} positions written, ${fmt(total)} planned`);
  return { rows, generateMs, copyMs, cellsMs, wallMs: now() - wall };
}

/** Each asset's last fix into asset_latest (and the one before as previous_ts), as the live writer leaves it. */
async function writeLatest(pool: Pool, tracks: readonly AssetTrack[]): Promise<void> {
  const withFix = tracks.filter((t) => t.last !== null);
  for (let i = 0; i < withFix.length; i += 2000) {
    const batch = withFix.slice(i, i + 2000);
    const last = batch.map((t) => t.last as SeedFix);
    await pool.query(
      `UPDATE read.asset_latest AS l
       SET geom = ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326), ts = f.ts, previous_ts = f.prev, alt = f.alt,
           speed = f.speed, heading = f.heading, battery = f.battery, accuracy = f.accuracy, updated_at = now()
       FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[],
                   $7::real[], $8::real[], $9::real[], $10::real[])
         AS f(a, ts, prev, lon, lat, alt, speed, heading, battery, accuracy)
       WHERE l.asset_id = f.a`,
      [
        last.map((f) => f.assetId),
        last.map((f) => f.ts),
        batch.map((t) => t.previous?.ts ?? null),
        last.map((f) => f.lon),
        last.map((f) => f.lat),
        last.map((f) => f.alt ?? null),
        last.map((f) => f.speed ?? null),
        last.map((f) => f.heading ?? null),
        last.map((f) => f.battery ?? null),
        last.map((f) => f.accuracy ?? null),
      ],
    );
  }
}

/** CREATE INDEX of the GiST on positions (every partition), with its progress from pg_stat_progress_create_index. */
async function buildGist(url: string): Promise<void> {
  const builder = new Pool({ connectionString: url, max: 1 });
  const watcher = new Pool({ connectionString: url, max: 1 });
  const { rows: parts } = await watcher.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'read.positions'::regclass`,
  );
  const bar = new ProgressBar('GiST index', parts[0].n, 'partitions');
  let done = 0;
  const timer = setInterval(() => {
    void watcher
      .query<{ done: number | null }>(
        `SELECT partitions_done::int AS done FROM pg_stat_progress_create_index WHERE command = 'CREATE INDEX'`,
      )
      .then(({ rows }) => {
        done = rows[0]?.done ?? done;
        bar.update(done);
      })
      .catch(() => undefined);
  }, 1000);
  try {
    const client: PoolClient = await builder.connect();
    try {
      await client.query(`SET maintenance_work_mem = '256MB'`);
      await client.query(`CREATE INDEX IF NOT EXISTS positions_geom ON read.positions USING gist (geom)`);
    } finally {
      client.release();
    }
    bar.finish(parts[0].n);
  } finally {
    clearInterval(timer);
    await builder.end();
    await watcher.end();
  }
}

/** Visibility map and planner statistics, as a database that has lived a while has them. */
async function vacuumAnalyze(pool: Pool): Promise<void> {
  say('  VACUUM ANALYZE read.positions, read.position_cells, read.asset_latest');
  for (const table of ['read.asset_latest', 'read.position_cells', 'read.positions']) {
    await pool.query(`VACUUM (ANALYZE) ${table}`);
  }
}
