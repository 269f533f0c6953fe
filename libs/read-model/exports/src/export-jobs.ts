import type { Pool } from 'pg';
import type { ExportFile, ExportFilter, ExportJob, ExportState } from '@meridian/contracts/exports';

/** A job as the table holds it (bigints read as float8: exact far beyond any export's rows). */
export interface ExportJobRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly subject: string;
  /** The principal as it was at start (the identity contract's `Principal`). */
  readonly principal: unknown;
  readonly filter: ExportFilter;
  readonly state: ExportState;
  readonly attempts: number;
  readonly rows_written: number;
  readonly rows_expected: number | null;
  readonly error_code: string | null;
  readonly error_detail: string | null;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly expires_at: Date | null;
  readonly lease_owner: string | null;
  readonly lease_until: Date | null;
  readonly file_key: string | null;
  readonly file_name: string | null;
  readonly file_content_type: string | null;
  readonly file_bytes: number | null;
}

const COLUMNS = `id, tenant_id, subject, principal, filter, state, attempts, rows_written::float8 AS rows_written,
  rows_expected::float8 AS rows_expected, error_code, error_detail, created_at, started_at, finished_at, expires_at,
  lease_owner, lease_until, file_key, file_name, file_content_type, file_bytes::float8 AS file_bytes`;

/** What a new job records. */
export interface NewExportJob {
  readonly id: string;
  readonly tenantId: string;
  readonly subject: string;
  readonly principal: unknown;
  readonly filter: ExportFilter;
}

export type StartOutcome =
  | { readonly outcome: 'created' | 'existing'; readonly row: ExportJobRow }
  | { readonly outcome: 'limit'; readonly active: number };

/** A succeeded job past its expiry. */
export interface DueJob {
  readonly id: string;
  readonly fileKey: string | null;
  /** PostgreSQL's text of the expiry, exact to the microsecond (a Date would round it): the keyset's. */
  readonly expiresAt: string;
}

export type ClaimOutcome =
  | { readonly outcome: 'claimed'; readonly row: ExportJobRow }
  /** Another worker's lease holds it until then. */
  | { readonly outcome: 'busy'; readonly leaseUntil: Date }
  /** Finished, or no such job: nothing to do. */
  | { readonly outcome: 'gone' }
  /** It had had its attempts (runs that crashed their process count too): now recorded failed. */
  | { readonly outcome: 'exhausted'; readonly code: 'EXPORT.FAILED' };

/** Queued, or running on a lease that ran out. */
const CLAIMABLE = `state = 'queued' OR (state = 'running' AND lease_until < now())`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * A row as the contract's ExportJob. A succeeded job past its expiry reads as expired with no file
 * even before the sweep has deleted it (`now`). Percent: of the rows counted first, 100 once done.
 */
export function toExportJob(r: ExportJobRow, now: Date = new Date()): ExportJob {
  const lapsed = r.state === 'succeeded' && r.expires_at !== null && r.expires_at.getTime() <= now.getTime();
  const state: ExportState = lapsed ? 'expired' : r.state;
  const file: ExportFile | null =
    state === 'succeeded' && r.file_key && r.file_name && r.file_content_type && r.file_bytes !== null
      ? { key: r.file_key, name: r.file_name, contentType: r.file_content_type, bytes: r.file_bytes }
      : null;
  const percent =
    r.state === 'succeeded' || r.state === 'expired'
      ? 100
      : r.rows_expected
        ? Math.min(99, Math.floor((100 * r.rows_written) / r.rows_expected))
        : 0;
  return {
    id: r.id,
    state,
    filter: r.filter,
    requestedBy: r.subject,
    rowsWritten: r.rows_written,
    rowsExpected: r.rows_expected,
    percent,
    error: r.error_code ? { code: r.error_code, detail: r.error_detail ?? '' } : null,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    expiresAt: iso(r.expires_at),
    file,
  };
}

/**
 * The statements of exports.jobs. Every change of a running job names its lease owner: a worker
 * whose lease another took over changes nothing (and learns so from the answer).
 */
export class ExportJobs {
  constructor(private readonly pool: Pool) {}

  async get(id: string): Promise<ExportJobRow | null> {
    const { rows } = await this.pool.query<ExportJobRow>(`SELECT ${COLUMNS} FROM exports.jobs WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The job if it is the principal's. */
  async owned(id: string, tenantId: string, subject: string): Promise<ExportJobRow | null> {
    const { rows } = await this.pool.query<ExportJobRow>(
      `SELECT ${COLUMNS} FROM exports.jobs WHERE id = $1 AND tenant_id = $2 AND subject = $3`,
      [id, tenantId, subject],
    );
    return rows[0] ?? null;
  }

  /** The principal's jobs newest first, `limit + 1` of them after the job `after` (keyset). */
  async list(tenantId: string, subject: string, limit: number, after?: string): Promise<ExportJobRow[]> {
    const params: unknown[] = [tenantId, subject, limit + 1];
    const keyset = after
      ? ` AND (created_at, id) < (SELECT created_at, id FROM exports.jobs
           WHERE id = $${params.push(after)}::uuid AND tenant_id = $1 AND subject = $2)`
      : '';
    const { rows } = await this.pool.query<ExportJobRow>(
      `SELECT ${COLUMNS} FROM exports.jobs WHERE tenant_id = $1 AND subject = $2${keyset}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
    return rows;
  }

  /**
   * Records a queued job unless the id exists (then answers that job, whoever's it is: the caller
   * checks) or the principal has `maxActive` unfinished jobs. One principal's starts take turns
   * (an advisory lock on tenant and subject), so concurrent starts cannot pass the limit together.
   */
  async start(job: NewExportJob, maxActive: number): Promise<StartOutcome> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('meridian.exports:' || $1 || '/' || $2))`, [
        job.tenantId,
        job.subject,
      ]);
      const existing = await client.query<ExportJobRow>(`SELECT ${COLUMNS} FROM exports.jobs WHERE id = $1`, [job.id]);
      if (existing.rows[0]) {
        await client.query('COMMIT');
        return { outcome: 'existing', row: existing.rows[0] };
      }
      const { rows: counted } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM exports.jobs
         WHERE tenant_id = $1 AND subject = $2 AND state IN ('queued', 'running')`,
        [job.tenantId, job.subject],
      );
      if (counted[0].n >= maxActive) {
        await client.query('COMMIT');
        return { outcome: 'limit', active: counted[0].n };
      }
      const inserted = await client.query<ExportJobRow>(
        `INSERT INTO exports.jobs (id, tenant_id, subject, principal, filter, state)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, 'queued')
         ON CONFLICT (id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [job.id, job.tenantId, job.subject, JSON.stringify(job.principal), JSON.stringify(job.filter)],
      );
      const row =
        inserted.rows[0] ??
        (await client.query<ExportJobRow>(`SELECT ${COLUMNS} FROM exports.jobs WHERE id = $1`, [job.id])).rows[0];
      await client.query('COMMIT');
      return { outcome: inserted.rows[0] ? 'created' : 'existing', row };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Takes the job for `owner` until `leaseMs` from now: a queued job, or a running one whose lease
   * ran out (its worker died: it starts again from scratch). Progress and error are reset. A job
   * that already had `maxAttempts` runs is not run again but recorded failed: a job that crashes
   * its worker would otherwise be taken over for ever.
   */
  async claim(id: string, owner: string, leaseMs: number, maxAttempts: number): Promise<ClaimOutcome> {
    const { rows } = await this.pool.query<ExportJobRow>(
      `UPDATE exports.jobs SET state = 'running', attempts = attempts + 1, started_at = now(), heartbeat_at = now(),
         lease_owner = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000),
         rows_written = 0, rows_expected = NULL
       WHERE id = $1 AND (${CLAIMABLE}) AND attempts < $4
       RETURNING ${COLUMNS}`,
      [id, owner, leaseMs, maxAttempts],
    );
    if (rows[0]) return { outcome: 'claimed', row: rows[0] };
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET state = 'failed', finished_at = now(), heartbeat_at = now(),
         lease_owner = NULL, lease_until = NULL,
         error_code = 'EXPORT.FAILED', error_detail = 'gave up after ' || attempts || ' attempts'
       WHERE id = $1 AND (${CLAIMABLE}) AND attempts >= $2`,
      [id, maxAttempts],
    );
    if (rowCount === 1) return { outcome: 'exhausted', code: 'EXPORT.FAILED' };
    const current = await this.get(id);
    if (current?.state === 'running' && current.lease_until)
      return { outcome: 'busy', leaseUntil: current.lease_until };
    return { outcome: 'gone' };
  }

  /** Records the rows the job will write; false when `owner` lost the job. */
  async expect(id: string, owner: string, rows: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET rows_expected = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [id, owner, rows],
    );
    return rowCount === 1;
  }

  /** Heartbeat: the rows written so far, and the lease renewed; false when `owner` lost the job. */
  async progress(id: string, owner: string, rowsWritten: number, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET rows_written = $3, heartbeat_at = now(),
         lease_until = now() + make_interval(secs => $4::float8 / 1000)
       WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [id, owner, rowsWritten, leaseMs],
    );
    return rowCount === 1;
  }

  /** Done: the file, and when it expires. */
  async succeed(id: string, owner: string, rows: number, file: ExportFile, ttlHours: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET state = 'succeeded', rows_written = $3, finished_at = now(),
         expires_at = now() + make_interval(hours => $4), heartbeat_at = now(), lease_owner = NULL, lease_until = NULL,
         error_code = NULL, error_detail = NULL,
         file_key = $5, file_name = $6, file_content_type = $7, file_bytes = $8
       WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [id, owner, rows, ttlHours, file.key, file.name, file.contentType, file.bytes],
    );
    return rowCount === 1;
  }

  /** Gives the job up: `queued` again (to be retried; the error kept as the last one) or `failed`. */
  async giveUp(
    id: string,
    owner: string,
    state: 'queued' | 'failed',
    error: { readonly code: string; readonly detail: string } | null,
  ): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET state = $3::text, lease_owner = NULL, lease_until = NULL, heartbeat_at = now(),
         finished_at = CASE WHEN $3::text = 'failed' THEN now() END,
         error_code = COALESCE($4, error_code), error_detail = COALESCE($5, error_detail)
       WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [id, owner, state, error?.code ?? null, error?.detail ?? null],
    );
    return rowCount === 1;
  }

  /**
   * Hands the job back on a graceful shutdown: queued again, the attempt its claim counted given
   * back (the run did not fail). False when `owner` lost the job.
   */
  async handBack(id: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), lease_owner = NULL,
         lease_until = NULL, heartbeat_at = now()
       WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [id, owner],
    );
    return rowCount === 1;
  }

  /** Ids of the jobs that should be in Redis: queued, or running on a lease that ran out; `limit` after `after`. */
  async dispatchable(limit: number, after?: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM exports.jobs
       WHERE (${CLAIMABLE}) AND id > $1::uuid
       ORDER BY id LIMIT $2`,
      [after ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Succeeded jobs past their expiry (the file to delete), by expiry, `limit` after `after` (keyset):
   * a job whose file could not be deleted stays due, and the next page goes past it.
   */
  async due(limit: number, after?: DueJob): Promise<DueJob[]> {
    const { rows } = await this.pool.query<{ id: string; file_key: string | null; expires_at: string }>(
      `SELECT id, file_key, expires_at::text AS expires_at FROM exports.jobs
       WHERE state = 'succeeded' AND expires_at <= now()
         AND ($2::timestamptz IS NULL OR (expires_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY expires_at, id LIMIT $1`,
      [limit, after?.expiresAt ?? null, after?.id ?? null],
    );
    return rows.map((r) => ({ id: r.id, fileKey: r.file_key, expiresAt: r.expires_at }));
  }

  /** Marks a job expired (its file deleted): no file any more. */
  async expire(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE exports.jobs SET state = 'expired', file_key = NULL, file_bytes = NULL
       WHERE id = $1 AND state = 'succeeded' AND expires_at <= now()`,
      [id],
    );
    return rowCount === 1;
  }

  /**
   * For the orphan sweep: of the ids given, the state of each job that exists, the key of its file
   * if it has one, and how long ago it finished (seconds; null while unfinished).
   */
  async states(
    ids: readonly string[],
  ): Promise<Map<string, { state: ExportState; fileKey: string | null; finishedAgoS: number | null }>> {
    const { rows } = await this.pool.query<{
      id: string;
      state: ExportState;
      file_key: string | null;
      ago: number | null;
    }>(
      `SELECT id, state, file_key, extract(epoch FROM now() - finished_at)::float8 AS ago FROM exports.jobs
       WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { state: r.state, fileKey: r.file_key, finishedAgoS: r.ago }]));
  }
}
