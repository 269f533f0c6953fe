/**
 * `npm run projections -- rebuild <read-model> [options]`: rebuilds a read model from workflow's
 * event store (and, for asset-latest, the stored fixes) into a shadow table and swaps it in while
 * the services keep running (ADR 0018).
 *
 *   read models               zones | asset-latest
 *   --database-url=<url>      default DATABASE_URL, as the services (postgres://postgres@127.0.0.1:5432/meridian)
 *   --event-store-schema=<s>  the workflow event store's schema (default workflow)
 *   --page-size=<n>           stored events per read of $all (default 2000)
 *   --lock-timeout-ms=<n>     longest wait for the live table's lock per swap attempt (default 2000)
 *
 * The workflow events are mapped to integration events by the mapper workflow's relay publishes
 * with, so the rebuild applies exactly what the live projectors receive.
 */
import { Pool } from 'pg';
import {
  AssetLatestRebuild,
  type EventSource,
  rebuildReadModel,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildProjection,
  type RebuildSummary,
  type SourceEvent,
  ZonesRebuild,
} from '@meridian/read-model/data-source';
import type { RecordedEvent } from '@meridian/shared/decider';
import { assertIdentifier, PgEventStore, positionOf } from '@meridian/shared/event-store';
import { toWorkflowIntegrationEvent } from '../apps/workflow/src/app.module';
import { devDatabaseUrl } from './env';

const mapped = (e: RecordedEvent): SourceEvent | null => {
  const m = toWorkflowIntegrationEvent(e);
  return m ? { type: m.type, data: m.data } : null;
};

/** workflow's `$all`, a page at a time, as integration events. */
export function workflowSource(store: PgEventStore): EventSource {
  return {
    async read(after, limit, via) {
      const events = await store.readAll(after, limit, { via });
      const last = events.at(-1);
      return {
        events: events.map(mapped).filter((e): e is SourceEvent => e !== null),
        read: events.length,
        next: last ? positionOf(last) : after,
      };
    },
  };
}

export interface RebuildArgs {
  readonly readModel: ReadModelName;
  readonly databaseUrl: string;
  readonly eventStoreSchema: string;
  readonly pageSize: number;
  readonly lockTimeoutMs: number;
}

const readModels = {
  zones: (): RebuildProjection => new ZonesRebuild(),
  'asset-latest': (pool: Pool, args: RebuildArgs): RebuildProjection =>
    new AssetLatestRebuild(pool, { lockTimeoutMs: args.lockTimeoutMs }),
} as const;
export type ReadModelName = keyof typeof readModels;
export const READ_MODELS = Object.keys(readModels) as ReadModelName[];

export const USAGE =
  `usage: npm run projections -- rebuild ${READ_MODELS.join('|')} [--database-url=<url>] ` +
  '[--event-store-schema=workflow] [--page-size=2000] [--lock-timeout-ms=2000]';

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): RebuildArgs {
  const [command, readModel, ...rest] = argv;
  if (command !== 'rebuild') throw new UsageError(command ? `unknown command ${command}` : 'no command');
  if (!readModel || !(READ_MODELS as readonly string[]).includes(readModel)) {
    throw new UsageError(readModel ? `unknown read model ${readModel}` : 'no read model');
  }
  const flags = new Map<string, string>();
  for (const arg of rest) {
    const m = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${arg}`);
    flags.set(m[1], m[2]);
  }
  const known = ['database-url', 'event-store-schema', 'page-size', 'lock-timeout-ms'];
  const unknown = [...flags.keys()].filter((k) => !known.includes(k));
  if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}`);
  const count = (name: string, fallback: number, min: number): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return value;
  };
  const schema = flags.get('event-store-schema') ?? 'workflow';
  try {
    assertIdentifier(schema);
  } catch {
    throw new UsageError(`invalid --event-store-schema ${schema}`);
  }
  return {
    readModel: readModel as ReadModelName,
    databaseUrl: flags.get('database-url') ?? devDatabaseUrl(),
    eventStoreSchema: schema,
    pageSize: count('page-size', 2000, 1),
    lockTimeoutMs: count('lock-timeout-ms', 2000, 1),
  };
}

/** One rebuild on its own pool; `onProgress` and `extra` go to rebuildReadModel. */
export async function rebuild(
  args: RebuildArgs,
  onProgress?: (p: RebuildProgress) => void | Promise<void>,
  extra: Pick<RebuildOptions, 'beforeSwap'> = {},
): Promise<RebuildSummary> {
  const pool = new Pool({ connectionString: args.databaseUrl, max: 3, application_name: 'meridian-projections' });
  try {
    const store = new PgEventStore(pool, args.eventStoreSchema);
    const projection = readModels[args.readModel](pool, args);
    return await rebuildReadModel(pool, projection, workflowSource(store), {
      pageSize: args.pageSize,
      lockTimeoutMs: args.lockTimeoutMs,
      onProgress,
      ...extra,
    });
  } finally {
    await pool.end();
  }
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const rate = (events: number, ms: number): string => `${n(ms > 0 ? (events * 1000) / ms : 0)} events/s`;

export function describeProgress(p: RebuildProgress, previous?: RebuildProgress): string {
  const since = previous ? rate(p.eventsRead - previous.eventsRead, p.elapsedMs - previous.elapsedMs) : '';
  return (
    `${p.table} ${p.phase}: ${n(p.eventsRead)} events read, ${n(p.eventsApplied)} applied` +
    (p.sideRows ? `, ${n(p.sideRows)} rows from fixes` : '') +
    ` (${since ? `${since}, ` : ''}${rate(p.eventsRead, p.elapsedMs)} overall)`
  );
}

export function describeSummary(s: RebuildSummary): string {
  return (
    `rebuilt ${s.table}: ${n(s.eventsRead)} events read, ${n(s.eventsApplied)} applied (${n(s.rowsChanged)} ` +
    `rows changed, ${n(s.refused)} refused)${s.sideRows ? `, ${n(s.sideRows)} rows from fixes` : ''} in ` +
    `${(s.elapsedMs / 1000).toFixed(1)} s (${rate(s.eventsRead, s.elapsedMs)}); swap: lock waited ` +
    `${n(s.lockWaitMs)} ms, held ${n(s.lockHeldMs)} ms, attempt ${s.swapAttempts}`
  );
}

/** `npm run projections -- ARGS` / the image's `projections ARGS` role; resolves with the exit code. */
export async function projectionsCli(argv: readonly string[]): Promise<number> {
  let args: RebuildArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`[projections] ${err.message}\n${USAGE}`);
    return 2;
  }
  let latest: RebuildProgress | undefined;
  let printed: RebuildProgress | undefined;
  const print = (): void => {
    if (!latest) return;
    process.stdout.write(`[projections] ${describeProgress(latest, printed)}\n`);
    printed = latest;
  };
  const ticker = setInterval(print, 2000);
  try {
    const summary = await rebuild(args, (p) => {
      const phaseChanged = p.phase !== latest?.phase;
      latest = p;
      if (phaseChanged) print();
    });
    process.stdout.write(`[projections] ${describeSummary(summary)}\n`);
    return 0;
  } finally {
    clearInterval(ticker);
  }
}

if (require.main === module) {
  projectionsCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      console.error(`[projections] failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
