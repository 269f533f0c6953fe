import type { Pool, PoolClient } from 'pg';
import type { Webhook } from '@meridian/contracts/webhooks';
import { SUBSCRIPTION_COLUMNS, type SubscriptionRow, toWebhook } from './webhook-rows';

export interface NewSubscription {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly description: string | null;
  readonly sealedSecret: string;
  readonly createdBy: string;
}

export interface SubscriptionPatch {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly description?: string | null;
  readonly paused?: boolean;
}

/** What the fan-out matches an event against. */
export interface ActiveSubscription {
  readonly id: string;
  readonly tenantId: string;
  readonly events: readonly string[];
}

export type CreateOutcome =
  | { readonly kind: 'created'; readonly webhook: Webhook }
  /** The same id again (a redelivered request): the stored subscription, unchanged. */
  | { readonly kind: 'exists'; readonly webhook: Webhook }
  | { readonly kind: 'taken' }
  | { readonly kind: 'limit' };

export interface Page<T> {
  readonly items: T[];
  readonly after: string | null;
}

/** `webhooks.subscriptions`: every query is scoped to a tenant; deleted rows are not found. */
export class WebhookSubscriptions {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts a subscription unless the tenant already has `maxPerTenant` live ones. The count and
   * the insert run under a transaction-level advisory lock of the tenant, so two creates at once
   * cannot both pass the limit.
   */
  async create(s: NewSubscription, maxPerTenant: number): Promise<CreateOutcome> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`webhooks:${s.tenantId}`]);
      const existing = await client.query<SubscriptionRow>(
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhooks.subscriptions WHERE id = $1`,
        [s.id],
      );
      const found = existing.rows[0];
      if (found) {
        await client.query('COMMIT');
        return found.tenant_id === s.tenantId && found.deleted_at === null
          ? { kind: 'exists', webhook: toWebhook(found) }
          : { kind: 'taken' };
      }
      const { rows: counted } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webhooks.subscriptions WHERE tenant_id = $1 AND deleted_at IS NULL`,
        [s.tenantId],
      );
      if ((counted[0]?.n ?? 0) >= maxPerTenant) {
        await client.query('COMMIT');
        return { kind: 'limit' };
      }
      const { rows } = await client.query<SubscriptionRow>(
        `INSERT INTO webhooks.subscriptions (id, tenant_id, url, events, description, sealed_secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${SUBSCRIPTION_COLUMNS}`,
        [s.id, s.tenantId, s.url, s.events, s.description, s.sealedSecret, s.createdBy],
      );
      await client.query('COMMIT');
      return { kind: 'created', webhook: toWebhook(rows[0]) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async get(tenantId: string, id: string): Promise<Webhook | null> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhooks.subscriptions
       WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
      [id, tenantId],
    );
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  /**
   * Changes what the patch names. Pausing cancels the deliveries still pending: a paused
   * subscription records nothing, and resuming does not send what was missed.
   */
  async update(tenantId: string, id: string, patch: SubscriptionPatch): Promise<Webhook | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<SubscriptionRow>(
        `UPDATE webhooks.subscriptions SET
           url = coalesce($3, url),
           events = coalesce($4, events),
           description = CASE WHEN $5 THEN $6 ELSE description END,
           paused = coalesce($7, paused),
           updated_at = clock_timestamp()
         WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL
         RETURNING ${SUBSCRIPTION_COLUMNS}`,
        [
          id,
          tenantId,
          patch.url ?? null,
          patch.events ?? null,
          patch.description !== undefined,
          patch.description ?? null,
          patch.paused ?? null,
        ],
      );
      if (rows[0]?.paused) await cancelPending(client, id);
      await client.query('COMMIT');
      return rows[0] ? toWebhook(rows[0]) : null;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Soft delete: the subscription is gone for every query, its pending deliveries cancelled, its log kept. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `UPDATE webhooks.subscriptions SET deleted_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
        [id, tenantId],
      );
      if (rowCount) await cancelPending(client, id);
      await client.query('COMMIT');
      return (rowCount ?? 0) > 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * A new sealed secret; the current one becomes the previous, valid for `graceMs`. The same sealed
   * value again (a redelivered request) changes nothing, so the previous secret is not lost.
   */
  async rotateSecret(tenantId: string, id: string, sealedSecret: string, graceMs: number): Promise<Webhook | null> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      `UPDATE webhooks.subscriptions SET
         previous_sealed_secret = CASE WHEN sealed_secret = $3 THEN previous_sealed_secret ELSE sealed_secret END,
         previous_secret_expires_at = CASE WHEN sealed_secret = $3 THEN previous_secret_expires_at
           ELSE clock_timestamp() + make_interval(secs => $4::float8 / 1000) END,
         secret_rotated_at = CASE WHEN sealed_secret = $3 THEN secret_rotated_at ELSE clock_timestamp() END,
         updated_at = CASE WHEN sealed_secret = $3 THEN updated_at ELSE clock_timestamp() END,
         sealed_secret = $3
       WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, tenantId, sealedSecret, graceMs],
    );
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  /** The tenant's subscriptions in id order after `after`; `limit + 1` rows read, so `after` tells if more match. */
  async list(tenantId: string, limit: number, after: string | null): Promise<Page<Webhook>> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhooks.subscriptions
       WHERE tenant_id = $1 AND deleted_at IS NULL AND id > $2::uuid
       ORDER BY id LIMIT $3`,
      [tenantId, after ?? '00000000-0000-0000-0000-000000000000', limit + 1],
    );
    const items = rows.slice(0, limit).map(toWebhook);
    return { items, after: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  /** Subscriptions that receive events now (not paused, not deleted) of these tenants. */
  async active(tenantIds: readonly string[]): Promise<ActiveSubscription[]> {
    if (tenantIds.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string; tenant_id: string; events: string[] }>(
      `SELECT id, tenant_id, events FROM webhooks.subscriptions
       WHERE tenant_id = ANY($1::text[]) AND deleted_at IS NULL AND NOT paused`,
      [tenantIds],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, events: r.events }));
  }
}

async function cancelPending(client: PoolClient, webhookId: string): Promise<void> {
  await client.query(
    `UPDATE webhooks.deliveries SET state = 'cancelled', finished_at = clock_timestamp(), next_attempt_at = NULL,
       lease_until = NULL
     WHERE webhook_id = $1 AND state = 'pending'`,
    [webhookId],
  );
}
