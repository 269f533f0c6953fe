import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { Principal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import { type ExportJobRow, type ExportJobs, exportStatement, inlineParams } from '@meridian/read-model/exports';
import type { ExportStorage } from '@meridian/shared/export-storage';
import { ExportFormatter, exportFileNames } from './export-formats';
import { failureOf, fromDatabase, QueryFailure, StorageFailure } from './export-failure';

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
    const claim = await this.o.jobs.claim(id, this.o.owner, this.o.leaseMs, this.o.maxAttempts);
    if (claim.outcome === 'exhausted') {
      this.counters.failed++;
      return { outcome: 'failed', code: claim.code };
    }
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

  /**
   * A stop on shutdown hands the job back at once (no attempt spent); a kill (a crash) and a lost
   * lease leave the row alone.
   */
  private async stopped(id: string, reason: StopReason): Promise<RunOutcome> {
    if (reason === 'shutdown') await this.o.jobs.handBack(id, this.o.owner).catch(() => false);
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
    let heartbeat: NodeJS.Timeout | undefined;
    let client: PoolClient | undefined;
    let broken: Error | undefined;
    const dropped = (err: Error): void => {
      broken ??= err;
    };
    try {
      // Inside the try: a failed connect clears the heartbeat too.
      heartbeat = setInterval(() => void beat(), this.o.progressMs);
      client = await fromDatabase(this.o.pool.connect());
      // A checked-out client has no listener of the pool's: a connection dropped during the export
      // would be an unhandled 'error' (the process ends). Its queries fail with it anyway.
      client.on('error', dropped);
      await fromDatabase(client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
      const { rows: counted } = await fromDatabase(client.query<{ n: number }>(statement.count, [...statement.params]));
      signal.throwIfAborted();
      await fromDatabase(this.o.jobs.expect(row.id, this.o.owner, counted[0].n));
      const bytes = await this.stream(
        client,
        inlineParams(statement.select, statement.params),
        formatter,
        names.key,
        signal,
      );
      await fromDatabase(client.query('COMMIT'));
      this.counters.rowsWritten += formatter.rows - reported;
      reported = formatter.rows;
      return { rows: formatter.rows, file: { ...names, bytes } };
    } catch (err) {
      // A connection left in the middle of a COPY is of no further use: the pool drops it.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      clearInterval(heartbeat);
      client?.removeListener('error', dropped);
      client?.release(broken);
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
    // Where the failure began: one stream's error destroys all the others with it, and the storage's
    // put then fails too. The storage destroys what it reads (`body`) at once, before any other hears.
    let origin: 'database' | 'export' | 'storage' | undefined;
    copy.once('error', () => (origin ??= 'database'));
    formatter.once('error', () => (origin ??= 'export'));
    gzip.once('error', () => (origin ??= 'export'));
    const body = new PassThrough({
      destroy(err, done) {
        if (err) origin ??= 'storage';
        done(err);
      },
    });
    // A storage that fails before reading (mkdir refused, bucket gone) would leave the streams full
    // and the pipeline waiting on them for ever: its failure ends the pipeline.
    const put = this.o.storage.put(key, body).catch((err: unknown) => {
      origin ??= 'storage';
      body.destroy(err instanceof Error ? err : new Error(String(err)));
      throw new StorageFailure(err);
    });
    const [fed, stored] = await Promise.allSettled([pipeline(copy, formatter, gzip, body, { signal }), put]);
    if (origin === 'storage' && stored.status === 'rejected') throw stored.reason;
    if (fed.status === 'rejected') throw origin === 'database' ? new QueryFailure(fed.reason) : fed.reason;
    if (stored.status === 'rejected') throw stored.reason;
    return stored.value.bytes;
  }
}
