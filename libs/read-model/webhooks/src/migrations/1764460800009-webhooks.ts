import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions, their deliveries and the attempts of each (issue 13), in a schema of their
 * own. PostgreSQL is the truth; Redis (BullMQ) only holds jobs that name a delivery id, rebuilt from
 * the pending rows whenever Redis may have lost them.
 *
 * - subscriptions: soft-deleted (`deleted_at`) so that the delivery log of a deleted subscription
 *   stays until the retention sweep; `(tenant_id, id)` serves the keyset list and the per-tenant count.
 * - deliveries: `seq` orders them (newest first per subscription, keyset) and within one ordering key;
 *   UNIQUE (webhook_id, event_id) makes a redelivered Kafka event a no-op. `lease_until` is set while
 *   an attempt is in flight, so a job re-added after Redis lost it cannot send the delivery twice at
 *   once. `attempts_base` is the attempt count at the last replay: the retry schedule restarts there,
 *   while attempt numbers go on.
 * - attempts: one row per HTTP attempt, deleted with their delivery.
 *
 * Indexes: pending by next_attempt_at (reconciliation, keyset on (next_attempt_at, seq)); per
 * subscription newest first, with and without a state filter; per (subscription, ordering key, seq)
 * among pending ones for per-key ordering; created_at for the retention sweep.
 */
export const webhooksDdl: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS webhooks`,
  `CREATE TABLE IF NOT EXISTS webhooks.subscriptions (
     id uuid PRIMARY KEY,
     tenant_id text NOT NULL,
     url text NOT NULL,
     events text[] NOT NULL,
     description text,
     paused boolean NOT NULL DEFAULT false,
     sealed_secret text NOT NULL,
     previous_sealed_secret text,
     previous_secret_expires_at timestamptz,
     created_by text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     secret_rotated_at timestamptz,
     deleted_at timestamptz
   )`,
  `CREATE INDEX IF NOT EXISTS subscriptions_tenant ON webhooks.subscriptions (tenant_id, id) WHERE deleted_at IS NULL`,
  `CREATE TABLE IF NOT EXISTS webhooks.deliveries (
     seq bigserial PRIMARY KEY,
     id text NOT NULL UNIQUE,
     webhook_id uuid NOT NULL REFERENCES webhooks.subscriptions (id),
     tenant_id text NOT NULL,
     event_type text NOT NULL,
     event_id text NOT NULL,
     ordering_key text NOT NULL,
     payload jsonb NOT NULL,
     state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'dead', 'cancelled')),
     attempts int NOT NULL DEFAULT 0,
     attempts_base int NOT NULL DEFAULT 0,
     next_attempt_at timestamptz,
     lease_until timestamptz,
     created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     finished_at timestamptz,
     CONSTRAINT deliveries_webhook_event UNIQUE (webhook_id, event_id)
   )`,
  `CREATE INDEX IF NOT EXISTS deliveries_pending_due ON webhooks.deliveries (next_attempt_at, seq)
     WHERE state = 'pending'`,
  `CREATE INDEX IF NOT EXISTS deliveries_webhook_seq ON webhooks.deliveries (webhook_id, seq DESC)`,
  `CREATE INDEX IF NOT EXISTS deliveries_webhook_state_seq ON webhooks.deliveries (webhook_id, state, seq DESC)`,
  `CREATE INDEX IF NOT EXISTS deliveries_pending_order ON webhooks.deliveries (webhook_id, ordering_key, seq)
     WHERE state = 'pending'`,
  `CREATE INDEX IF NOT EXISTS deliveries_created ON webhooks.deliveries (created_at)`,
  `CREATE TABLE IF NOT EXISTS webhooks.attempts (
     delivery_seq bigint NOT NULL REFERENCES webhooks.deliveries (seq) ON DELETE CASCADE,
     attempt int NOT NULL,
     at timestamptz NOT NULL,
     duration_ms int NOT NULL,
     response_status int,
     error text,
     PRIMARY KEY (delivery_seq, attempt)
   )`,
];

export class Webhooks1764460800009 implements MigrationInterface {
  name = 'Webhooks1764460800009';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of webhooksDdl) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA IF EXISTS webhooks CASCADE`);
  }
}
