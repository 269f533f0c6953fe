import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: one row per integration event of the event-sourced services (each an accepted
 * command or a permission change), with the acting subject. Every query is one tenant's, in time
 * order, optionally of one actor or one resource: one index each.
 */
export class Audit1764460800007 implements MigrationInterface {
  name = 'Audit1764460800007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS read.audit_log (
        event_id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        recorded_at timestamptz NOT NULL,
        actor text NOT NULL,
        type text NOT NULL,
        resource text,
        source text NOT NULL,
        data jsonb NOT NULL
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS audit_log_tenant_time ON read.audit_log (tenant_id, recorded_at, event_id)`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS audit_log_actor_time ON read.audit_log (tenant_id, actor, recorded_at, event_id)`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS audit_log_resource_time
       ON read.audit_log (tenant_id, resource, recorded_at, event_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS read.audit_log`);
  }
}
