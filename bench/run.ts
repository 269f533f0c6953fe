/**
 * `npm run bench` — Meridian's benchmarks against real PostgreSQL and Kafka (DESIGN §8).
 *
 *   node -r @swc-node/register bench/run.ts [append] [batch] [load] [relay] [telemetry] [commands] [ingest] [rebuild]
 *     [seed] [queries] [auth] [missions] [console] [webhooks] [exports] [startup] [--scale=0.2] [--fresh]
 *
 * Every benchmark measures a Meridian code path and a baseline in the same process and run, and
 * prints the ratio. Nothing here asserts on timings. Results go to bench/results/.
 * Environment: BENCH_PG_URL, KAFKA_BROKERS, BENCH_POOL_SIZE, BENCH_SCALE.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { PgEventStore } from '@meridian/shared/event-store';
import type { MessageBus } from '@meridian/shared/messaging';
import { appendBenchmark } from './append';
import { AUTH_DATABASE, AUTH_OIDC_PORT, AUTH_PORTS, AUTH_TENANT, authBenchmark, authParams } from './auth';
import {
  MISSIONS_DATABASE,
  MISSIONS_OIDC_PORT,
  MISSIONS_PORTS,
  MISSIONS_TENANT,
  missionsBenchmark,
  missionsParams,
} from './missions';
import { timersBenchmark, timersParams } from './timers';
import { webhooksBenchmark, webhooksParams } from './webhooks';
import { exportsBenchmark, exportsParams } from './exports';
import { startupBenchmark, startupParams } from './startup';
import {
  CONSOLE_DATABASE,
  CONSOLE_OIDC_PORT,
  CONSOLE_PORTS,
  CONSOLE_TENANT,
  consoleBenchmark,
  consoleEnv,
  consoleParams,
} from './console';
import { commandsBenchmark } from './commands';
import { COMMANDS_DATABASE, CommandsEnvironment } from './commands-stack';
import { type BenchResult, describe, now, say, scaled } from './harness';
import { ingestBenchmark } from './ingest';
import { REBUILD_DATABASE, rebuildBenchmark, rebuildParams } from './rebuild';
import {
  createSchema,
  databaseUrl,
  deleteTopics,
  dropDatabase,
  dropSchema,
  ensureDatabase,
  infraConfig,
  newBus,
  newPool,
  serverVersion,
  warmPool,
} from './infra';
import { loadBenchmark } from './load';
import { QUERIES_OIDC_PORT, QUERIES_PORTS, queriesBenchmark, queriesParams } from './queries';
import { QUERIES_DATABASE, QUERIES_TENANT, seedDatabase } from './seed';
import { relayBenchmark, relayTopics } from './relay';
import { currentCommit, loadAverage1m, machine, writeReport } from './report';
import { openTelemetryDb, TELEMETRY_DATABASE, type TelemetryDb, telemetryBenchmark } from './telemetry';

const ALL = [
  'append',
  'batch',
  'load',
  'relay',
  'telemetry',
  'commands',
  'ingest',
  'rebuild',
  'seed',
  'queries',
  'auth',
  'missions',
  'console',
  'webhooks',
  'exports',
  'startup',
] as const;
type BenchName = (typeof ALL)[number];

interface Args {
  readonly only: readonly BenchName[];
  readonly scale: number;
  /** `seed`/`queries`: reload the data set even when the database holds it already. */
  readonly fresh: boolean;
  /** `--help`: print the usage, run nothing. */
  readonly help: boolean;
}

const USAGE = `npm run bench -- [${ALL.join('] [')}] [--scale=<factor>] [--fresh] [--help]

  No name: every benchmark. --scale=0.2 shrinks every size (a quick smoke run); BENCH_SCALE does the same.
  --fresh: seed/queries reload the data set even when meridian_bench_queries holds it already.
  Results: bench/results/ (latest.json, history.jsonl, latest.svg; queries.*, auth.* of their benchmarks).
  Environment: BENCH_PG_URL, KAFKA_BROKERS, BENCH_POOL_SIZE, BENCH_SCALE; queries: BENCH_QUERIES,
  BENCH_QUERIES_CONCURRENCY, BENCH_QUERIES_DIRECT. See bench/README.md.`;

function parseArgs(argv: readonly string[]): Args {
  let scale = Number(process.env.BENCH_SCALE ?? 1);
  let fresh = false;
  let help = false;
  const only: BenchName[] = [];
  for (const arg of argv) {
    if (arg.startsWith('--scale=')) scale = Number(arg.slice('--scale='.length));
    else if (arg === '--fresh') fresh = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if ((ALL as readonly string[]).includes(arg)) only.push(arg as BenchName);
    else throw new Error(`unknown argument ${arg}; expected ${ALL.join(' | ')}, --scale=<factor>, --fresh or --help`);
  }
  if (!(scale > 0)) throw new Error(`invalid scale ${scale}`);
  return { only: only.length ? only : [...ALL], scale, fresh, help };
}

function newRunId(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  const time = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${date}${time}_${randomBytes(3).toString('hex')}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = infraConfig();
  const s = args.scale;
  const runId = newRunId();
  const schema = `bench_${runId}`;
  const started = now();
  const loadAtStart = loadAverage1m();
  const topics = relayTopics(runId);
  say(
    `run ${runId}: ${args.only.join(', ')} (scale ${s}); schema ${schema}; pool ${config.poolSize}; brokers ` +
      `${config.brokers.join(',')}; load avg ${loadAtStart}`,
  );

  await ensureDatabase(config.pgUrl);
  const pool: Pool = newPool(config);
  let bus: MessageBus | null = null;
  let telemetryDb: TelemetryDb | null = null;
  let commandsEnv: CommandsEnvironment | null = null;
  let ingestEnv: CommandsEnvironment | null = null;
  let queriesEnv: CommandsEnvironment | null = null;
  let authEnv: CommandsEnvironment | null = null;
  let missionsEnv: CommandsEnvironment | null = null;
  let consoleEnvironment: CommandsEnvironment | null = null;
  let rebuildTouched = false;
  // One cleanup, shared: the `finally` below waits for the one a signal started instead of
  // letting the failing benchmark exit the process before the database objects are dropped.
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> => (cleaning ??= dropEverything());
  const dropEverything = async (): Promise<void> => {
    say(
      `cleanup: dropping schema and topics${telemetryDb ? ' and the telemetry database' : ''}` +
        (commandsEnv || ingestEnv ? `; stopping the services, dropping ${COMMANDS_DATABASE}` : '') +
        (queriesEnv ? `; stopping the services (keeping ${QUERIES_DATABASE})` : '') +
        (authEnv ? `; stopping the services, dropping ${AUTH_DATABASE}` : ''),
    );
    if (commandsEnv) await commandsEnv.close();
    if (ingestEnv) await ingestEnv.close();
    if (queriesEnv) await queriesEnv.close();
    if (authEnv) await authEnv.close();
    if (missionsEnv) await missionsEnv.close();
    if (consoleEnvironment) await consoleEnvironment.close();
    if (rebuildTouched) await dropDatabase(databaseUrl(config.pgUrl, REBUILD_DATABASE)).catch(() => undefined);
    await dropSchema(pool, schema).catch((err: Error) => say(`could not drop schema ${schema}: ${err.message}`));
    if (telemetryDb) await telemetryDb.drop();
    if (bus) {
      await deleteTopics(bus, [topics.relay, topics.baseline]);
      await bus.close();
    }
    await pool.end().catch(() => undefined);
  };
  const interrupt = (signal: string) => {
    interrupted = true;
    say(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));

  const results: BenchResult[] = [];
  try {
    await createSchema(pool, schema);
    await warmPool(pool, config.poolSize);
    const store = new PgEventStore(pool, schema);
    const postgres = await serverVersion(pool);

    if (args.only.includes('append')) {
      say('phase 1/11: single-event appends from concurrent writers');
      const r = await appendBenchmark(
        pool,
        schema,
        store,
        {
          writers: 32,
          streams: scaled(10_000, s, 10),
          calls: scaled(20_000, s, 20),
          eventsPerCall: 1,
          poolSize: config.poolSize,
          warmupCalls: scaled(200, s, 16),
          slicesPerRound: 4,
        },
        { name: 'append-single', title: 'Single-event appends, 32 writers' },
      );
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('batch')) {
      say('phase 2/11: batched appends (100 events per call)');
      const r = await appendBenchmark(
        pool,
        schema,
        store,
        {
          writers: 8,
          streams: scaled(300, s, 8),
          calls: scaled(600, s, 16),
          eventsPerCall: 100,
          poolSize: config.poolSize,
          warmupCalls: scaled(16, s, 4),
          slicesPerRound: 4,
        },
        { name: 'append-batch-100', title: 'Batched appends, 100 events/call, 8 writers' },
      );
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('load')) {
      say('phase 3/11: load() of a 10,000-event stream');
      const rs = await loadBenchmark(pool, schema, store, {
        events: scaled(10_000, s, 100),
        appendBatch: 100,
        warmupRuns: 3,
        runs: 21,
        snapshotTail: 0,
      });
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('relay')) {
      say('phase 4/11: outbox relay store → Kafka');
      bus = newBus(config, `meridian-bench-${runId}`);
      const r = await relayBenchmark(pool, schema, store, bus, topics, {
        events: scaled(50_000, s, 1000),
        batchSize: 1000,
        appendBatch: 100,
        appendWriters: 4,
        partitions: 6,
        brokers: config.brokers,
        stallTimeoutMs: 10_000,
        chunks: 5,
      });
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('telemetry')) {
      say(`phase 5/11: telemetry write (PositionsWriter.write vs raw COPY) in database ${TELEMETRY_DATABASE}`);
      const writers = 2;
      telemetryDb = await openTelemetryDb(config.pgUrl, writers + 2);
      const r = await telemetryBenchmark(telemetryDb, {
        fixes: scaled(200_000, s, 2000),
        assets: 2000,
        tenants: 10,
        days: 2,
        batchSize: Number(process.env['BENCH_TELEMETRY_BATCH'] ?? 1000),
        writers,
        segments: 10,
      });
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('commands')) {
      say('phase 6/11: commands through the HTTP API (gateway → Kafka → workflow → store → reply) vs the store');
      commandsEnv = new CommandsEnvironment(config.pgUrl, config.brokers);
      const rs = await commandsBenchmark(commandsEnv, {
        connections: 64,
        warmupMs: scaled(3000, s, 1000),
        closedMs: scaled(20_000, s, 2000),
        segments: 2,
        rate: 500,
        openMs: scaled(20_000, s, 2000),
        drainMs: 15_000,
        openMaxSockets: 256,
        targetP99Ms: 50,
      });
      await commandsEnv.close();
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('ingest')) {
      say(
        'phase 7/11: telemetry ingest through the API (gateway → Kafka → projection → PostGIS, geofenced) vs raw COPY',
      );
      // The per-tenant rate limit is lifted: this measures the system, not the limit.
      ingestEnv = new CommandsEnvironment(config.pgUrl, config.brokers, {
        GATEWAY_INGEST_RATE_FIXES_PER_S: '10000000',
        GATEWAY_INGEST_BURST_FIXES: '20000000',
      });
      const r = await ingestBenchmark(ingestEnv, {
        assets: scaled(10_000, Math.min(s, 1), 200),
        zones: scaled(1000, Math.min(s, 1), 20),
        fixes: scaled(1_000_000, s, 20_000),
        requestSize: 1000,
        inFlight: 16,
        openRate: 20_000,
        openMs: scaled(15_000, Math.min(s, 1), 3000),
      });
      await ingestEnv.close();
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('rebuild')) {
      say(`phase 8/11: projection rebuild (zones, asset-latest) vs a raw read of $all, in ${REBUILD_DATABASE}`);
      rebuildTouched = true;
      const r = await rebuildBenchmark(config.pgUrl, rebuildParams(s));
      results.push(r);
      say(describe(r));
    }

    if (args.only.includes('seed') || args.only.includes('queries')) {
      say(`phase 9/11: seed ${QUERIES_DATABASE} (generated fleet and history, COPY straight into the read model)`);
      const seeded = await seedDatabase(config.pgUrl, {
        scale: s,
        fresh: args.fresh,
        gist: process.env.BENCH_SEED_GIST === 'keep' ? 'keep' : 'rebuild',
      });
      if (seeded.result) {
        results.push(seeded.result);
        say(describe(seeded.result));
      }
      if (args.only.includes('queries')) {
        say('phase 10/11: queries through the gateway (HTTP → Kafka → geo-query → PostGIS) vs the same SQL directly');
        queriesEnv = new CommandsEnvironment(
          config.pgUrl,
          config.brokers,
          {},
          {
            database: QUERIES_DATABASE,
            tenant: QUERIES_TENANT,
            keepDatabase: true,
            logName: 'bench-queries',
            ports: QUERIES_PORTS,
            oidcPort: QUERIES_OIDC_PORT,
          },
        );
        const rs = await queriesBenchmark(queriesEnv, seeded.info, queriesParams(s));
        await queriesEnv.close();
        results.push(...rs);
        rs.forEach((r) => say(describe(r)));
      }
    }

    if (args.only.includes('auth')) {
      say('phase 11/11: the authorization overhead per request (in process, through HTTP, in SQL)');
      authEnv = new CommandsEnvironment(
        config.pgUrl,
        config.brokers,
        {},
        {
          database: AUTH_DATABASE,
          tenant: AUTH_TENANT,
          logName: 'bench-auth',
          ports: AUTH_PORTS,
          oidcPort: AUTH_OIDC_PORT,
        },
      );
      const rs = await authBenchmark(authEnv, authParams(s));
      await authEnv.close();
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('missions')) {
      say('phase 12/12: missions — transitions through the gateway, timers fired with 100,000 scheduled');
      missionsEnv = new CommandsEnvironment(
        config.pgUrl,
        config.brokers,
        {},
        {
          database: MISSIONS_DATABASE,
          tenant: MISSIONS_TENANT,
          logName: 'bench-missions',
          ports: MISSIONS_PORTS,
          oidcPort: MISSIONS_OIDC_PORT,
        },
      );
      const rs = await missionsBenchmark(missionsEnv, missionsParams(s), () =>
        timersBenchmark(pool, runId, timersParams(process.argv.slice(2), s)),
      );
      await missionsEnv.close();
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('console')) {
      say('phase 13/13: console frame times with 10,000 live assets (headless Chromium, SwiftShader: not a GPU)');
      consoleEnvironment = new CommandsEnvironment(config.pgUrl, config.brokers, consoleEnv(), {
        database: CONSOLE_DATABASE,
        tenant: CONSOLE_TENANT,
        logName: 'bench-console',
        ports: CONSOLE_PORTS,
        oidcPort: CONSOLE_OIDC_PORT,
      });
      const rs = await consoleBenchmark(consoleEnvironment, consoleParams(s));
      await consoleEnvironment.close();
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('webhooks')) {
      say(
        'phase 14/16: webhooks — deliveries per second from Kafka to a local receiver, through PostgreSQL and BullMQ',
      );
      bus ??= newBus(config, `meridian-bench-${runId}`);
      const rs = await webhooksBenchmark(pool, bus, runId, webhooksParams(process.argv.slice(2), s));
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('exports')) {
      say('phase 15/16: exports — 1,000,000 positions streamed to gzip files in each format, with memory');
      const rs = await exportsBenchmark(runId, exportsParams(process.argv.slice(2), s));
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    if (args.only.includes('startup')) {
      say('phase 16/16: start-up — each service to ready, production build vs the TypeScript loader');
      const rs = await startupBenchmark(startupParams(process.env));
      results.push(...rs);
      rs.forEach((r) => say(describe(r)));
    }

    const durationMs = Math.round(now() - started);
    const dir = resolve(__dirname, 'results');
    const files = writeReport(dir, {
      runId,
      timestamp: new Date().toISOString(),
      durationMs,
      commit: currentCommit(resolve(__dirname, '..')),
      scale: s,
      machine: machine(postgres, config.brokers, loadAtStart),
      results,
    });
    say('summary:');
    results.forEach((r) => say(`  ${describe(r)}`));
    say(`wrote ${files.map((f) => join('bench', 'results', f.slice(dir.length + 1))).join(', ')}`);
  } finally {
    await cleanup();
  }
  say(`done in ${((now() - started) / 1000).toFixed(1)} s`);
}

/** Set by SIGINT/SIGTERM: the benchmark that fails because its pool was ended is not an error. */
let interrupted = false;

main().catch((err: unknown) => {
  if (interrupted) process.exit(130);
  console.error('[bench] failed:', err);
  process.exit(1);
});
