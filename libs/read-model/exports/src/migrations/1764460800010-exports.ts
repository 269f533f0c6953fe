import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Export jobs (issue 13): PostgreSQL is their truth, BullMQ on Redis only dispatches them. A job
 * belongs to its principal (tenant and subject) and keeps the principal as it was when the job was
 * started (`principal`), whose row filter the job applies when it runs. A running job holds a
 * lease (`lease_owner`, `lease_until`, renewed with each heartbeat): a job whose lease ran out is
 * claimable again. Indexes: the principal's jobs newest first (list, and the count of unfinished
 * ones), the unfinished jobs (reconciliation re-adds them to Redis), the files to expire.
 */
export class Exports1764460800010 implements MigrationInterface {
  name = 'Exports1764460800010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS exports`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS exports.jobs (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        subject text NOT NULL,
        principal jsonb NOT NULL,
        filter jsonb NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'expired')),
        attempts int NOT NULL DEFAULT 0,
        rows_written bigint NOT NULL DEFAULT 0,
        rows_expected bigint,
        error_code text,
        error_detail text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        expires_at timestamptz,
        heartbeat_at timestamptz,
        lease_owner text,
        lease_until timestamptz,
        file_key text,
        file_name text,
        file_content_type text,
        file_bytes bigint
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS jobs_principal ON exports.jobs (tenant_id, subject, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS jobs_unfinished ON exports.jobs (state, lease_until)
       WHERE state IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS jobs_expiry ON exports.jobs (expires_at) WHERE state = 'succeeded'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS exports.jobs`);
  }
}
