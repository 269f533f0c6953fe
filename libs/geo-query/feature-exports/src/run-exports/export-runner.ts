import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { Principal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import { type ExportJobRow, type ExportJobs, exportStatement, inlineParams } from '@meridian/read-model/exports';
import type { ExportStorage } from '@meridian/shared/export-storage';
import { ExportFormatter, exportFileNames } from './export-formats';

export interface ExportRunnerOptions {
  readonly pool: Pool;
  readonly jobs: ExportJobs;
  readonly storage: ExportStorage;
  /** Names this worker in the leases it takes. */
  readonly owner: string;
  /** How long a claim holds without a heartbeat. */
  readonly leaseMs: number;
  /** Between two heartbeats (rows written, lease renewed). */
  readonly progressMs: number;
  readonly ttlHours: number;
  /** Runs a job may start before it fails for good. */
  readonly maxAttempts: number;
}

/** Why a run stopped before its end: the service stops, a test kills it, or another worker took the job over. */
export type StopReason = 'shutdown' | 'killed' | 'lost';

export type RunOutcome =
  | { readonly outcome: 'succeeded'; readonly rows: number; readonly bytes: number }
  | { readonly outcome: 'failed'; readonly code: string }
  /** Failed, back to queued: BullMQ retries it after its backoff. */
  | { readonly outcome: 'retry'; readonly code: string; readonly detail: string }
  | { readonly outcome: 'busy'; readonly leaseUntil: Date }
  | { readonly outcome: 'gone' }
  | { readonly outcome: 'stopped'; readonly reason: StopReason };

/** A failure as the job records it: a code and one line, never a stack trace. */
export function failureOf(err: unknown): { code: string; detail: string } {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  const code = typeof e?.code === 'string' ? e.code : '';
  const detail = (text: string) => text.slice(0, 500);
  if (/^[0-9A-Z]{5}$/.test(code))
    return { code: 'EXPORT.QUERY_FAILED', detail: detail(`${message} (SQLSTATE ${code})`) };
  if (/^E[A-Z]+$/.test(code)) return { code: 'EXPORT.STORAGE_FAILED', detail: detail(`${code}: ${message}`) };
  return { code: 'EXPORT.FAILED', detail: detail(message) };
}

/** Counters of everything this runner did, for status and the benchmark. */
export interface RunnerCounters {
  succeeded: number;
  failed: number;
  retried: number;
  rowsWritten: number;
  bytesStored: number;
  running: number;
}

/**
 * One export, start to end: claim the row (a lease), count the rows, then stream them from
 * PostgreSQL (`COPY (SELECT …) TO STDOUT`, in the count's snapshot) through the format and gzip
 * into the storage, which shows the file only once complete. Backpressure runs end to end (the
 * disk's pace holds the socket's), so memory holds a few chunks, whatever the size. A heartbeat
 * every `progressMs` records the rows written and renews the lease; a worker that lost its lease
 * stops. Nothing of a run survives its failure: a new run starts from scratch.
 */
export class ExportRunner {
  readonly counters: RunnerCounters = {
    succeeded: 0,
    failed: 0,
    retried: 0,
    rowsWritten: 0,
    bytesStored: 0,
    running: 0,
  };
  /** Rows written by the runs in progress, by job id. */
  readonly inProgress = new Map<string, ExportFormatter>();

  constructor(private readonly o: ExportRunnerOptions) {}

  async run(id: string, signal: AbortSignal): Promise<RunOutcome> {
    const claim = await this.o.jobs.claim(id, this.o.owner, this.o.leaseMs);
    if (claim.outcome !== 'claimed') return claim;
    this.counters.running++;
    const lease = new AbortController();
    const stop = AbortSignal.any([signal, lease.signal]);
    try {
      const result = await this.export(claim.row, stop, () => lease.abort('lost'));
      if (!(await this.o.jobs.succeed(id, this.o.owner, result.rows, result.file, this.o.ttlHours))) {
        return { outcome: 'stopped', reason: 'lost' };
      }
      this.counters.succeeded++;
      this.counters.bytesStored += result.file.bytes;
      return { outcome: 'succeeded', rows: result.rows, bytes: result.file.bytes };
    } catch (err) {
      if (stop.aborted) return this.stopped(id, (stop.reason as StopReason) ?? 'shutdown');
      const failure = failureOf(err);
      if (claim.row.attempts < this.o.maxAttempts) {
        await this.o.jobs.giveUp(id, this.o.owner, 'queued', failure);
        this.counters.retried++;
        return { outcome: 'retry', ...failure };
      }
      await this.o.jobs.giveUp(id, this.o.owner, 'failed', failure);
      this.counters.failed++;
      return { outcome: 'failed', code: failure.code };
    } finally {
      this.counters.running--;
      this.inProgress.delete(id);
    }
  }

  /** A stop on shutdown hands the job back at once; a kill (a crash) and a lost lease leave the row alone. */
  private async stopped(id: string, reason: StopReason): Promise<RunOutcome> {
    if (reason === 'shutdown') await this.o.jobs.giveUp(id, this.o.owner, 'queued', null).catch(() => false);
    return { outcome: 'stopped', reason };
  }

  private async export(
    row: ExportJobRow,
    signal: AbortSignal,
    lost: () => void,
  ): Promise<{ rows: number; file: { key: string; name: string; contentType: string; bytes: number } }> {
    const scope = readScope(Principal.parse(row.principal), row.created_at);
    const statement = exportStatement(scope, row.filter);
    const names = exportFileNames(row.tenant_id, row.id, row.filter.kind, row.filter.format);
    const formatter = new ExportFormatter(statement.layout, row.filter.format);
    this.inProgress.set(row.id, formatter);
    let reported = 0;
    const beat = async (): Promise<void> => {
      const rows = formatter.rows;
      this.counters.rowsWritten += rows - reported;
      reported = rows;
      const ok = await this.o.jobs.progress(row.id, this.o.owner, rows, this.o.leaseMs).catch(() => true);
      if (!ok) lost();
    };
    const heartbeat = setInterval(() => void beat(), this.o.progressMs);
    const client = await this.o.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows: counted } = await client.query<{ n: number }>(statement.count, [...statement.params]);
      signal.throwIfAborted();
      await this.o.jobs.expect(row.id, this.o.owner, counted[0].n);
      const bytes = await this.stream(
        client,
        inlineParams(statement.select, statement.params),
        formatter,
        names.key,
        signal,
      );
      await client.query('COMMIT');
      this.counters.rowsWritten += formatter.rows - reported;
      reported = formatter.rows;
      return { rows: formatter.rows, file: { ...names, bytes } };
    } catch (err) {
      // A connection left in the middle of a COPY is of no further use: the pool drops it.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      clearInterval(heartbeat);
      client.release(broken);
    }
  }

  private async stream(
    client: PoolClient,
    select: string,
    formatter: ExportFormatter,
    key: string,
    signal: AbortSignal,
  ): Promise<number> {
    const copy = client.query(copyTo(`COPY (${select}) TO STDOUT`));
    const gzip = createGzip();
    const [fed, stored] = await Promise.allSettled([
      pipeline(copy, formatter, gzip, { signal }),
      this.o.storage.put(key, gzip),
    ]);
    if (fed.status === 'rejected') throw fed.reason;
    if (stored.status === 'rejected') throw stored.reason;
    return stored.value.bytes;
  }
}
