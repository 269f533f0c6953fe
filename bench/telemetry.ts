/**
 * Benchmark 5: telemetry ingest into PostGIS (DESIGN §8: ≥ 0.5 × a raw COPY into the same indexed
 * table, same run). The projection's write path, `PositionsWriter.write` — per batch of 1,000
 * fixes one transaction with `INSERT … SELECT FROM unnest(…) ON CONFLICT (asset_id, ts) DO NOTHING`
 * into the day partitions of `read.positions` and the newest-fix upsert into `read.asset_latest` —
 * against `COPY … FROM STDIN` of the same rows into `bench_copy.positions`, a table with the
 * columns, defaults, day partitions and indexes of `read.positions` (checked against the catalog
 * before anything is timed).
 *
 * The repository hard-codes schema `read`, so everything happens in a database of its own
 * (`meridian_bench_telemetry`), set up from the projection's own migrations and dropped at the end.
 *
 * COPY goes through node-postgres's own copy-in protocol support (`Connection.sendCopyFromChunk` /
 * `endCopyFrom`, driven by a small submittable below) on the same pool, in text format with the
 * geometry as hex EWKB (what `pg_dump` writes for geometry). Encoding the rows to COPY text is
 * timed, as the repository's building of its parameter arrays is.
 *
 * Both sides get the same fixes in the same order, from the same number of writers. The fixes are
 * cut into segments; both sides take turns on every segment, alternating which goes first, with a
 * CHECKPOINT before each, so table growth and background work hit both alike. Afterwards both
 * tables are compared row by row (not timed).
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { type Connection, Pool, type PoolClient, type Submittable } from 'pg';
import { READ_SCHEMA } from '@meridian/read-model/data-source';
import { COPY_COLUMNS, copyLines, type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { migrateReadModels } from '../tools/migrate';
import { type BenchResult, fmt, median, now, percentile, result, round, say, withTicker } from './harness';
import { checkpoint, databaseUrl, dropDatabase, ensureDatabase } from './infra';

export const TELEMETRY_DATABASE = 'meridian_bench_telemetry';
export const BASELINE_SCHEMA = 'bench_copy';
const DAY_MS = 86_400_000;

export interface TelemetryParams {
  /** Fixes per side (rounded to whole ticks of one fix per asset). */
  readonly fixes: number;
  readonly assets: number;
  readonly tenants: number;
  /** The fixes span this many UTC days, i.e. this many day partitions. */
  readonly days: number;
  /** Fixes per `PositionsWriter.write` call (the projection's consumer batch). */
  readonly batchSize: number;
  readonly writers: number;
  /** Timed segments; the sides alternate on every segment. */
  readonly segments: number;
}

// ---------------------------------------------------------------------------------------------
// The database

export interface TelemetryDb {
  readonly pool: Pool;
  readonly postgis: string;
  /** Ends the pool and drops the database; safe to call twice. */
  drop(): Promise<void>;
}

/** Same columns, defaults, partitioning and indexes as `read.positions` (read-model migration 1). */
export const baselineDdl = (s: string): string => `
CREATE SCHEMA ${s};
CREATE SEQUENCE ${s}.positions_ingest_seq;
CREATE TABLE ${s}.positions (
  tenant_id text NOT NULL,
  asset_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  geom geometry(Point, 4326) NOT NULL,
  alt real, speed real, heading real, battery real, accuracy real,
  received_at timestamptz NOT NULL DEFAULT now(),
  ingest_seq bigint NOT NULL DEFAULT nextval('${s}.positions_ingest_seq')
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX positions_asset_ts ON ${s}.positions (asset_id, ts);
CREATE INDEX positions_ts_brin ON ${s}.positions USING brin (ts);
CREATE INDEX positions_ingest_seq_brin ON ${s}.positions USING brin (ingest_seq);
CREATE INDEX positions_geom ON ${s}.positions USING gist (geom);`;

/** Columns, partition key and index definitions of `<schema>.positions`, schema name removed. */
export async function tableShape(pool: Pool, schema: string): Promise<string> {
  const table = `${schema}.positions`;
  const columns = await pool.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid) AS dflt
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
  const key = await pool.query(`SELECT pg_get_partkeydef($1::regclass) AS key`, [table]);
  const indexes = await pool.query<{ def: string }>(
    `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  return JSON.stringify({
    // The ingest sequence lives in each table's own schema.
    columns: JSON.parse(JSON.stringify(columns.rows).split(`${schema}.`).join('')) as unknown,
    key: key.rows[0],
    indexes: indexes.rows.map((r) => r.def.split(`${table} `).join('positions ')),
  });
}

/**
 * Creates the database if missing, then starts from nothing: PostGIS, schema `read` from the
 * projection's migrations, and the baseline table beside it.
 */
export async function openTelemetryDb(pgUrl: string, poolSize: number): Promise<TelemetryDb> {
  const url = databaseUrl(pgUrl, TELEMETRY_DATABASE);
  await ensureDatabase(url);
  const pool = new Pool({ connectionString: url, max: poolSize, application_name: 'meridian-bench' });
  pool.on('error', (err) => say(`pg pool error (telemetry): ${err.message}`));
  let dropping: Promise<void> | null = null;
  const drop = (): Promise<void> =>
    (dropping ??= (async () => {
      // In-flight writes (after Ctrl-C) get 5 s; DROP DATABASE … WITH (FORCE) ends what is left.
      await Promise.race([pool.end().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
      await dropDatabase(url);
    })());
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
    await pool.query(`DROP SCHEMA IF EXISTS ${READ_SCHEMA} CASCADE; DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE`);
    await migrateReadModels(url);
    await pool.query(baselineDdl(BASELINE_SCHEMA));
    const [read, base] = [await tableShape(pool, READ_SCHEMA), await tableShape(pool, BASELINE_SCHEMA)];
    if (read !== base) {
      throw new Error(
        `${BASELINE_SCHEMA}.positions no longer matches ${READ_SCHEMA}.positions; ` +
          `update bench/telemetry.ts\n read: ${read}\n base: ${base}`,
      );
    }
    const { rows } = await pool.query<{ v: string }>('SELECT postgis_lib_version() AS v');
    return { pool, postgis: rows[0].v, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// COPY … FROM STDIN over node-postgres's copy-in protocol support

/** The parts of pg's Connection a copy-in uses (present on the class, missing from its typings). */
interface CopyConnection {
  readonly stream: NodeJS.WritableStream & { readonly writableNeedDrain: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * A query object for `client.query()`: sends the COPY statement, and once the server answers
 * CopyInResponse streams the chunks (waiting for the socket to drain) and ends the copy.
 * `done` resolves with the row count of the server's `COPY n`.
 */
class CopyFromStdin implements Submittable {
  readonly done: Promise<number>;
  private rowCount = -1;
  private failed = false;
  private settle!: { resolve: (n: number) => void; reject: (err: Error) => void };

  constructor(
    private readonly sql: string,
    private readonly chunks: () => Iterable<Buffer>,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: Connection): void {
    (connection as unknown as CopyConnection).query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    void this.pump(connection);
  }

  private async pump(connection: CopyConnection): Promise<void> {
    try {
      for (const chunk of this.chunks()) {
        if (this.failed) return;
        connection.sendCopyFromChunk(chunk);
        if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
      }
      connection.endCopyFrom();
    } catch (err) {
      connection.sendCopyFail(`client could not produce the data: ${(err as Error).message}`);
    }
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.settle.resolve(this.rowCount);
  }

  handleError(err: Error): void {
    this.failed = true;
    this.settle.reject(err);
  }

  // Not expected for COPY FROM STDIN; present because the client may call them on any query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** One `COPY … FROM STDIN` of `batches` (one chunk each) on one pooled connection; returns rows copied. */
export async function copyIn(
  pool: Pool,
  schema: string,
  batches: readonly (readonly PositionRow[])[],
  sent: (rows: number) => void,
): Promise<number> {
  const copy = new CopyFromStdin(`COPY ${schema}.positions ${COPY_COLUMNS} FROM STDIN`, function* () {
    for (const b of batches) {
      yield Buffer.from(copyLines(b));
      sent(b.length);
    }
  });
  const client = await pool.connect();
  try {
    client.query(copy);
    return await copy.done;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------------------------------------
// The fixes

/** Small deterministic PRNG (mulberry32), so every run writes the same shape of data. */
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

const roundTo = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Batches per writer: `lanes[w][k]` is writer w's k-th batch. */
type Lanes = PositionRow[][][];

interface Fixes {
  /** Tick 0 (one fix per asset) plus one fix per day from a separate asset: creates the partitions. */
  readonly warmup: Lanes;
  readonly lanes: Lanes;
  readonly batches: number;
  readonly ticks: number;
  readonly firstDay: string;
}

const chunk = <T>(xs: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/**
 * A fleet reporting in ticks: every asset sends one fix per tick (its time jittered within the
 * first half of the tick, so an asset's fixes stay in order and `(asset_id, ts)` is unique), the
 * fleet in a new random order each tick, as fixes from many devices arrive through Kafka. The
 * ticks fill `days` whole UTC days ending before today. Tick 0 is the warm-up.
 *
 * The fleet is split into one lane per writer, as Kafka's partitions split it by key (asset id)
 * and the projection consumes partitions concurrently: two batches written at the same time
 * never share an asset. Each lane is cut into batches in arrival order.
 */
function generateFixes(params: TelemetryParams): Fixes {
  const rand = prng(0x5eed);
  const ticks = Math.max(1, Math.round(params.fixes / params.assets));
  const firstDay = (Math.floor(Date.now() / DAY_MS) - params.days - 1) * DAY_MS;
  const tickMs = Math.floor((params.days * DAY_MS) / (ticks + 1));
  const tenants = Array.from({ length: params.tenants }, (_, i) => `tenant-bench-${String(i + 1).padStart(4, '0')}`);
  const fleet = Array.from({ length: params.assets }, (_, i) => ({
    id: randomUUID(),
    lane: i % params.writers,
    tenant: tenants[i % tenants.length],
    lon: 5 + rand() * 10,
    lat: 45 + rand() * 10,
    battery: 60 + rand() * 40,
  }));
  const order = fleet.map((_, i) => i);
  const tick = (t: number, lanes: PositionRow[][]): void => {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const i of order) {
      const a = fleet[i];
      a.lon = Math.min(179.9, Math.max(-179.9, a.lon + (rand() - 0.5) * 0.01));
      a.lat = Math.min(89.9, Math.max(-89.9, a.lat + (rand() - 0.5) * 0.01));
      a.battery = Math.max(5, a.battery - rand() * 0.5);
      lanes[a.lane].push({
        tenantId: a.tenant,
        assetId: a.id,
        ts: new Date(firstDay + t * tickMs + Math.floor(rand() * (tickMs / 2))).toISOString(),
        lon: roundTo(a.lon, 7),
        lat: roundTo(a.lat, 7),
        alt: roundTo(100 + rand() * 400, 1),
        speed: roundTo(rand() * 30, 2),
        heading: roundTo(rand() * 359.9, 1),
        battery: roundTo(a.battery, 1),
        accuracy: roundTo(2 + rand() * 8, 1),
      });
    }
  };
  const partitionMaker = randomUUID();
  const perDay = Array.from({ length: params.days }, (_, d) => ({
    tenantId: tenants[0],
    assetId: partitionMaker,
    ts: new Date(firstDay + d * DAY_MS + 60_000).toISOString(),
    lon: 10,
    lat: 50,
  }));
  const newLanes = (): PositionRow[][] => Array.from({ length: params.writers }, () => []);
  const warmup = newLanes();
  tick(0, warmup);
  warmup[0].push(...perDay);
  const timed = newLanes();
  for (let t = 1; t <= ticks; t++) tick(t, timed);
  const lanes = timed.map((rows) => chunk(rows, params.batchSize));
  return {
    warmup: warmup.map((rows) => chunk(rows, params.batchSize)),
    lanes,
    batches: lanes.reduce((n, l) => n + l.length, 0),
    ticks,
    firstDay: new Date(firstDay).toISOString().slice(0, 10),
  };
}

// ---------------------------------------------------------------------------------------------
// Where the repository's time goes

type StatementKind =
  'copyPositions' | 'insertPositions' | 'updateLatest' | 'upsertLatest' | 'beginCommit' | 'partitions' | 'connect';

/** Statement kinds by their SQL text; nothing of the repository's SQL is copied here. */
const kindOf = (sql: string): StatementKind =>
  /^\s*INSERT INTO read\.positions\b/.test(sql)
    ? 'insertPositions'
    : /^\s*UPDATE read\.asset_latest\b/.test(sql)
      ? 'updateLatest'
      : /^\s*(INSERT INTO|SELECT .* FROM) read\.asset_latest\b/s.test(sql)
        ? 'upsertLatest'
        : /^(BEGIN|COMMIT|ROLLBACK)$/.test(sql)
          ? 'beginCommit'
          : 'partitions';

/**
 * The pool as the repository sees it, adding up the time of each kind of statement it sends
 * (over both writers: divided by the batch count it is the mean per batch). A few
 * `performance.now()` calls per statement of ~10 ms; the SQL and the connections are unchanged.
 */
function timedPool(pool: Pool, ms: Record<StatementKind, number>): Pool {
  const wrap = (client: PoolClient): PoolClient => {
    const query = (text: string | Submittable, values?: unknown[]): unknown => {
      const t = now();
      if (typeof text !== 'string') {
        // COPY … FROM STDIN (pg-copy-streams): a stream, timed until it finished.
        const stream = client.query(text) as unknown as NodeJS.EventEmitter;
        stream.once('finish', () => (ms.copyPositions += now() - t));
        return stream;
      }
      return client.query(text, values).finally(() => (ms[kindOf(text)] += now() - t));
    };
    return new Proxy(client, {
      get(target, prop) {
        if (prop === 'query') return query;
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'connect') {
        return async (): Promise<PoolClient> => {
          const t = now();
          const client = await target.connect();
          ms.connect += now() - t;
          return wrap(client);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface SideStats {
  rows: number;
  ms: number;
  perSegment: number[];
  /** Per repository call (one batch) or per COPY statement (one writer's share of a segment). */
  latencies: number[];
}

interface Side {
  readonly name: string;
  readonly stats: SideStats;
  /** Writes every lane's batches, the lanes concurrently (one writer each); returns rows written. */
  write(lanes: Lanes, progress: (rows: number) => void): Promise<number>;
}

const sumRows = (batches: readonly (readonly PositionRow[])[]): number => batches.reduce((n, b) => n + b.length, 0);
const laneRows = (lanes: Lanes): number => lanes.reduce((n, l) => n + sumRows(l), 0);

export async function telemetryBenchmark(db: TelemetryDb, params: TelemetryParams): Promise<BenchResult> {
  const { pool } = db;
  const { writers } = params;
  const fixes = generateFixes(params);
  const fixesPerSide = laneRows(fixes.lanes);
  const newStats = (): SideStats => ({ rows: 0, ms: 0, perSegment: [], latencies: [] });

  const statementMs: Record<StatementKind, number> = {
    copyPositions: 0,
    insertPositions: 0,
    updateLatest: 0,
    upsertLatest: 0,
    beginCommit: 0,
    partitions: 0,
    connect: 0,
  };
  const repository = new PositionsWriter(timedPool(pool, statementMs));
  let inserted = 0;
  const repoSide: Side = {
    name: 'repository',
    stats: newStats(),
    async write(lanes, progress) {
      let n = 0;
      // Each writer writes its lane's batches one after another, as a partition's consumer does.
      await Promise.all(
        lanes.map(async (batches) => {
          for (const batch of batches) {
            const t = now();
            const r = await repository.write(batch);
            this.stats.latencies.push(now() - t);
            n += r.inserted;
            progress(batch.length);
          }
        }),
      );
      return n;
    },
  };
  let copied = 0;
  const copySide: Side = {
    name: 'COPY',
    stats: newStats(),
    async write(lanes, progress) {
      let n = 0;
      // Each writer sends its lane's batches in one COPY statement.
      await Promise.all(
        lanes.map(async (batches) => {
          if (batches.length === 0) return;
          const t = now();
          const rows = await copyIn(pool, BASELINE_SCHEMA, batches, progress);
          n += rows;
          this.stats.latencies.push(now() - t);
        }),
      );
      return n;
    },
  };

  // Warm-up (not timed): opens the connections, creates the day partitions — the repository on
  // first use as in production, the baseline with the same DDL — and fills asset_latest with
  // every asset, so the timed upserts are the steady state (an update per asset and batch).
  for (let d = 0; d < params.days; d++) {
    const from = new Date(Date.parse(fixes.firstDay) + d * DAY_MS).toISOString().slice(0, 10);
    const to = new Date(Date.parse(fixes.firstDay) + (d + 1) * DAY_MS).toISOString().slice(0, 10);
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${BASELINE_SCHEMA}.positions_${from.replace(/-/g, '')} ` +
        `PARTITION OF ${BASELINE_SCHEMA}.positions FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`,
    );
  }
  const warmRows = laneRows(fixes.warmup);
  const warmInserted = await repoSide.write(fixes.warmup, () => undefined);
  const warmCopied = await copySide.write(fixes.warmup, () => undefined);
  if (warmInserted !== warmRows || warmCopied !== warmRows) {
    throw new Error(`warm-up wrote ${warmInserted} (repository) and ${warmCopied} (COPY) of ${warmRows} rows`);
  }
  repoSide.stats.latencies.length = 0;
  copySide.stats.latencies.length = 0;
  (Object.keys(statementMs) as StatementKind[]).forEach((k) => (statementMs[k] = 0));

  const laneBatches = Math.max(...fixes.lanes.map((l) => l.length));
  const perSegment = Math.max(1, Math.ceil(laneBatches / params.segments));
  const segments = Math.ceil(laneBatches / perSegment);
  say(
    `  warm-up done (${fmt(warmRows)} fixes per side, ${params.days} day partitions); ` +
      `${fmt(fixesPerSide)} fixes per side = ${fixes.ticks} ticks × ${fmt(params.assets)} assets ` +
      `from ${fixes.firstDay}, ` +
      `${fmt(fixes.batches)} batches of ${fmt(params.batchSize)} in ${writers} lanes ` +
      `(one writer each, disjoint assets), ${segments} segments`,
  );

  const pairRatios: number[] = [];
  for (let seg = 0; seg < segments; seg++) {
    const lanes = fixes.lanes.map((l) => l.slice(seg * perSegment, (seg + 1) * perSegment));
    const rows = laneRows(lanes);
    const order = seg % 2 === 0 ? [copySide, repoSide] : [repoSide, copySide];
    const rates: Record<string, number> = {};
    for (const side of order) {
      await checkpoint(pool);
      let done = 0;
      const start = now();
      const written = await withTicker(
        side.write(lanes, (n) => (done += n)),
        () =>
          `${side.name} segment ${seg + 1}/${segments}: ${fmt(done)} fixes, ` +
          `${fmt(done / ((now() - start) / 1000))} positions/s`,
      );
      const ms = now() - start;
      if (side === repoSide) inserted += written;
      else copied += written;
      side.stats.ms += ms;
      side.stats.rows += rows;
      rates[side.name] = rows / (ms / 1000);
      side.stats.perSegment.push(round(rates[side.name]));
    }
    pairRatios.push(rates.repository / rates.COPY);
    say(
      `  segment ${seg + 1}/${segments} (${fmt(rows)} fixes): repository ${fmt(rates.repository)} positions/s, COPY ` +
        `${fmt(rates.COPY)} positions/s, ratio ${fmt(rates.repository / rates.COPY)}`,
    );
  }

  // Not timed: both tables must hold the same rows, and asset_latest the newest fix of every asset.
  say('  checking that both tables hold the same rows');
  const cols = `tenant_id, asset_id, ts, ST_AsEWKB(geom) AS geom, alt, speed, heading, battery, accuracy`;
  const { rows: check } = await pool.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM ${READ_SCHEMA}.positions) AS repository_rows,
       (SELECT count(*) FROM ${BASELINE_SCHEMA}.positions) AS copy_rows,
       (SELECT count(*) FROM (SELECT ${cols} FROM ${READ_SCHEMA}.positions
                              EXCEPT ALL SELECT ${cols} FROM ${BASELINE_SCHEMA}.positions) d) AS only_in_repository,
       (SELECT count(*) FROM (SELECT ${cols} FROM ${BASELINE_SCHEMA}.positions
                              EXCEPT ALL SELECT ${cols} FROM ${READ_SCHEMA}.positions) d) AS only_in_copy,
       (SELECT count(*) FROM ${READ_SCHEMA}.asset_latest) AS asset_latest_rows,
       (SELECT count(*) FROM ${READ_SCHEMA}.asset_latest l
          JOIN (SELECT asset_id, max(ts) AS ts FROM ${READ_SCHEMA}.positions GROUP BY asset_id) p USING (asset_id)
          WHERE l.ts = p.ts) AS asset_latest_at_newest,
       (SELECT sum(pg_total_relation_size(relid))
          FROM pg_partition_tree('${READ_SCHEMA}.positions')) AS repository_bytes,
       (SELECT sum(pg_total_relation_size(relid))
          FROM pg_partition_tree('${BASELINE_SCHEMA}.positions')) AS copy_bytes`,
  );
  const c = Object.fromEntries(Object.entries(check[0]).map(([k, v]) => [k, Number(v)]));
  const expectedRows = warmRows + fixesPerSide;
  const consistent =
    inserted === fixesPerSide &&
    copied === fixesPerSide &&
    c.repository_rows === expectedRows &&
    c.copy_rows === expectedRows &&
    c.only_in_repository === 0 &&
    c.only_in_copy === 0 &&
    c.asset_latest_rows === params.assets + 1 &&
    c.asset_latest_at_newest === params.assets + 1;
  say(
    `  ${consistent ? 'same rows on both sides' : 'MISMATCH: the comparison is not valid'}: ` +
      `${fmt(c.repository_rows)} / ${fmt(c.copy_rows)} rows, ${c.only_in_repository} only in read.positions, ` +
      `${c.only_in_copy} only in the COPY table; asset_latest ${fmt(c.asset_latest_at_newest)} of ` +
      `${fmt(c.asset_latest_rows)} rows at the newest fix`,
  );

  const perBatch = (k: StatementKind): string => fmt(statementMs[k] / fixes.batches);
  say(
    `  repository per batch of ${fmt(params.batchSize)}: COPY positions ${perBatch('copyPositions')} ms, ` +
      `INSERT late positions ${perBatch('insertPositions')} ms, UPDATE asset_latest ${perBatch('updateLatest')} ms, ` +
      `other asset_latest ${perBatch('upsertLatest')} ms, BEGIN/COMMIT ${perBatch('beginCommit')} ms, ` +
      `pool wait ${perBatch('connect')} ms`,
  );

  const rate = (s: SideStats): number => s.rows / (s.ms / 1000);
  const lat = (s: SideStats) => ({
    p50: round(percentile(s.latencies, 50)),
    p99: round(percentile(s.latencies, 99)),
    max: round(percentile(s.latencies, 100)),
  });
  return result({
    name: 'telemetry-write',
    title: `Telemetry write, ${fmt(params.batchSize)}/batch, ${writers} writers`,
    value: rate(repoSide.stats),
    unit: 'positions/s',
    baseline: rate(copySide.stats),
    baselineName: 'raw COPY',
    valueName: 'repository',
    better: 'higher',
    parameters: {
      database: TELEMETRY_DATABASE,
      fixesPerSide,
      assets: params.assets,
      tenants: params.tenants,
      ticks: fixes.ticks,
      days: params.days,
      firstDay: fixes.firstDay,
      batchSize: params.batchSize,
      batchesPerSide: fixes.batches,
      writers,
      segments,
      batchesPerWriterPerSegment: perSegment,
      lanes:
        'the fleet split by asset across writers, as Kafka partitions split it by key: ' +
        'concurrent batches share no asset',
      warmupFixes: warmRows,
      baselineTable: `${BASELINE_SCHEMA}.positions: columns, defaults, day partitions and indexes of read.positions`,
      copy:
        'COPY … FROM STDIN, text format, geometry as hex EWKB, node-postgres copy-in protocol; ' +
        'one COPY per writer per segment',
      postgis: db.postgis,
    },
    details: {
      repositoryPositionsPerSecBySegment: repoSide.stats.perSegment,
      copyPositionsPerSecBySegment: copySide.stats.perSegment,
      medianSegmentRatio: round(median(pairRatios)),
      repositoryWriteLatencyMs: lat(repoSide.stats),
      repositoryStatementMsPerBatch: Object.fromEntries(
        Object.entries(statementMs).map(([k, v]) => [k, round(v / fixes.batches)]),
      ),
      copyStatementLatencyMs: lat(copySide.stats),
      check: {
        consistent,
        repositoryInserted: inserted,
        copied,
        repositoryRows: c.repository_rows,
        copyRows: c.copy_rows,
        onlyInRepository: c.only_in_repository,
        onlyInCopy: c.only_in_copy,
        assetLatestRows: c.asset_latest_rows,
        assetLatestAtNewestFix: c.asset_latest_at_newest,
      },
      tableBytes: { repository: c.repository_bytes, copy: c.copy_bytes },
    },
  });
}
