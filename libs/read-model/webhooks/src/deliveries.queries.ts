import type { Pool } from 'pg';
import type { Delivery } from '@meridian/contracts/webhooks';
import type { Page } from './subscriptions.queries';
import {
  type AttemptRow,
  DELIVERY_COLUMNS,
  type DeliveryRow,
  type DeliveryStateName,
  toDelivery,
} from './webhook-rows';

/** A delivery to record: one event for one subscription. */
export interface NewDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly tenantId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly orderingKey: string;
  /** The request body, as JSON text. */
  readonly payload: string;
}

/** A delivery as an attempt finds it, with its subscription (secrets sealed). */
export interface DeliveryForAttempt {
  readonly seq: string;
  readonly id: string;
  readonly webhookId: string;
  readonly tenantId: string;
  readonly state: DeliveryStateName;
  readonly attempts: number;
  /** Attempts made before the last replay: the retry schedule counts from here. */
  readonly attemptsBase: number;
  readonly body: string;
  /** Milliseconds until the next attempt is due by the database clock (≤ 0: now). */
  readonly dueInMs: number;
  /** Milliseconds the lease of an attempt in flight still runs (≤ 0 or null: none). */
  readonly leaseMs: number | null;
  /** Milliseconds until an earlier pending delivery of the same ordering key is due; null when none waits. */
  readonly blockedForMs: number | null;
  readonly url: string;
  readonly paused: boolean;
  readonly deleted: boolean;
  readonly sealedSecret: string;
  /** The previous secret while its grace period runs; null otherwise. */
  readonly previousSealedSecret: string | null;
}

/** What an attempt came to. */
export interface AttemptRecord {
  readonly deliveryId: string;
  /** The attempt count the attempt started from (`attempts` when claimed): a stale record changes nothing. */
  readonly attemptsBefore: number;
  readonly at: Date;
  readonly durationMs: number;
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly outcome: 'succeeded' | 'dead' | 'retry';
  /** For `retry`: milliseconds until the next attempt. */
  readonly retryInMs: number;
}

export interface PendingDelivery {
  readonly id: string;
  readonly dueInMs: number;
}

export interface PendingPage {
  readonly items: readonly PendingDelivery[];
  /** Keyset position of the last item (`next_attempt_at` as text, `seq`). */
  readonly after: readonly [string, string] | null;
}

export type ReplayOutcome =
  | { readonly kind: 'replayed'; readonly delivery: Delivery }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'pending' };

interface ForAttemptRow {
  seq: string;
  id: string;
  webhook_id: string;
  tenant_id: string;
  state: DeliveryStateName;
  attempts: number;
  attempts_base: number;
  body: string;
  due_in_ms: number | null;
  lease_ms: number | null;
  blocked_for_ms: number | null;
  url: string;
  paused: boolean;
  deleted: boolean;
  sealed_secret: string;
  previous_sealed_secret: string | null;
}

const ms = (expr: string): string => `ceil(extract(epoch FROM ${expr} - clock_timestamp()) * 1000)::float8`;

/** `webhooks.deliveries` and `webhooks.attempts`; every time is the database's. */
export class WebhookDeliveries {
  constructor(private readonly pool: Pool) {}

  /**
   * Records deliveries in one statement, in the order given (so `seq` follows Kafka order within
   * an ordering key), for subscriptions still active when it runs: a pause or delete committed
   * after the subscriptions were read still wins. A delivery of the same (subscription, event) is
   * left as it is. Answers the ids inserted.
   */
  async insert(deliveries: readonly NewDelivery[]): Promise<string[]> {
    if (deliveries.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO webhooks.deliveries
         (id, webhook_id, tenant_id, event_type, event_id, ordering_key, payload, next_attempt_at)
       SELECT r.id, r.webhook_id, r.tenant_id, r.event_type, r.event_id, r.ordering_key, r.payload, clock_timestamp()
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
         WITH ORDINALITY AS r(id, webhook_id, tenant_id, event_type, event_id, ordering_key, payload, n)
       JOIN webhooks.subscriptions s
         ON s.id = r.webhook_id AND s.tenant_id = r.tenant_id AND NOT s.paused AND s.deleted_at IS NULL
       ORDER BY r.n
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.webhookId),
        deliveries.map((d) => d.tenantId),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.orderingKey),
        deliveries.map((d) => d.payload),
      ],
    );
    return rows.map((r) => r.id);
  }

  async forAttempt(id: string): Promise<DeliveryForAttempt | null> {
    return (await this.forAttempts([id])).get(id) ?? null;
  }

  /** Deliveries by id with their subscriptions, in one statement (the dispatcher batches its jobs' lookups). */
  async forAttempts(ids: readonly string[]): Promise<Map<string, DeliveryForAttempt>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<ForAttemptRow>(
      `SELECT d.seq::text AS seq, d.id, d.webhook_id, d.tenant_id, d.state, d.attempts, d.attempts_base,
              d.payload::text AS body, ${ms('d.next_attempt_at')} AS due_in_ms, ${ms('d.lease_until')} AS lease_ms,
              (SELECT ${ms('min(b.next_attempt_at)')} FROM webhooks.deliveries b
               WHERE b.webhook_id = d.webhook_id AND b.ordering_key = d.ordering_key
                 AND b.state = 'pending' AND b.seq < d.seq) AS blocked_for_ms,
              s.url, s.paused, s.deleted_at IS NOT NULL AS deleted, s.sealed_secret,
              CASE WHEN s.previous_secret_expires_at > clock_timestamp() THEN s.previous_sealed_secret END
                AS previous_sealed_secret
       FROM webhooks.deliveries d JOIN webhooks.subscriptions s ON s.id = d.webhook_id
       WHERE d.id = ANY($1::text[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          seq: r.seq,
          id: r.id,
          webhookId: r.webhook_id,
          tenantId: r.tenant_id,
          state: r.state,
          attempts: r.attempts,
          attemptsBase: r.attempts_base,
          body: r.body,
          dueInMs: r.due_in_ms ?? 0,
          leaseMs: r.lease_ms,
          blockedForMs: r.blocked_for_ms,
          url: r.url,
          paused: r.paused,
          deleted: r.deleted,
          sealedSecret: r.sealed_secret,
          previousSealedSecret: r.previous_sealed_secret,
        },
      ]),
    );
  }

  /**
   * Takes the lease of a pending delivery for one attempt (`leaseMs`), unless another attempt holds
   * it or the attempt count moved: then false, and nothing is sent.
   */
  async claim(id: string, attempts: number, leaseMs: number): Promise<boolean> {
    return (await this.claimMany([{ id, attempts }], leaseMs)).has(id);
  }

  /** `claim` for several deliveries in one statement; answers the ids claimed. */
  async claimMany(
    claims: readonly { readonly id: string; readonly attempts: number }[],
    leaseMs: number,
  ): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE webhooks.deliveries d SET lease_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
       FROM unnest($1::text[], $2::int[]) AS c(id, attempts)
       WHERE d.id = c.id AND d.state = 'pending' AND d.attempts = c.attempts
         AND (d.lease_until IS NULL OR d.lease_until <= clock_timestamp())
       RETURNING d.id`,
      [claims.map((c) => c.id), claims.map((c) => c.attempts), leaseMs],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The attempt row and the delivery's new state in one statement (one transaction): succeeded and
   * dead are final, a retry is due `retryInMs` from now. Nothing changes unless the delivery is
   * still pending at the attempt count the attempt started from. Answers whether it was recorded.
   */
  async record(a: AttemptRecord): Promise<boolean> {
    return (await this.recordMany([a])).has(a.deliveryId);
  }

  /** `record` for several attempts in one statement; answers the delivery ids recorded. */
  async recordMany(records: readonly AttemptRecord[]): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH r AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::int[], $5::timestamptz[], $6::int[],
                              $7::int[], $8::text[])
           AS r(id, outcome, retry_ms, attempts_before, at, duration_ms, response_status, error)),
       d AS (
         UPDATE webhooks.deliveries x SET
           attempts = x.attempts + 1,
           state = CASE r.outcome WHEN 'retry' THEN 'pending' ELSE r.outcome END,
           next_attempt_at = CASE WHEN r.outcome = 'retry'
             THEN clock_timestamp() + make_interval(secs => r.retry_ms / 1000) END,
           finished_at = CASE WHEN r.outcome = 'retry' THEN NULL ELSE clock_timestamp() END,
           lease_until = NULL
         FROM r
         WHERE x.id = r.id AND x.state = 'pending' AND x.attempts = r.attempts_before
         RETURNING x.seq, x.attempts, x.id)
       INSERT INTO webhooks.attempts (delivery_seq, attempt, at, duration_ms, response_status, error)
       SELECT d.seq, d.attempts, r.at, r.duration_ms, r.response_status, r.error FROM d JOIN r ON r.id = d.id
       RETURNING (SELECT d.id FROM d WHERE d.seq = delivery_seq) AS id`,
      [
        records.map((a) => a.deliveryId),
        records.map((a) => a.outcome),
        records.map((a) => a.retryInMs),
        records.map((a) => a.attemptsBefore),
        records.map((a) => a.at),
        records.map((a) => a.durationMs),
        records.map((a) => a.responseStatus),
        records.map((a) => a.error),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Cancels a pending delivery (its subscription was paused or deleted). */
  async cancel(id: string): Promise<void> {
    await this.pool.query(
      `UPDATE webhooks.deliveries SET state = 'cancelled', finished_at = clock_timestamp(), next_attempt_at = NULL,
         lease_until = NULL
       WHERE id = $1 AND state = 'pending'`,
      [id],
    );
  }

  /**
   * Pending deliveries in (next_attempt_at, seq) order after `after`, for rebuilding the Redis jobs:
   * all of them, or those of a `window` (due from `sinceMs` ago up to `untilMs` from now, by the
   * database clock), which the same index serves as a range.
   */
  async pendingPage(
    after: PendingPage['after'],
    limit: number,
    window: { readonly sinceMs: number; readonly untilMs: number } | null = null,
  ): Promise<PendingPage> {
    // The position travels as text: timestamptz's text form keeps its microseconds, a JS Date would not.
    const params: unknown[] = [after?.[0] ?? null, after?.[1] ?? null, limit];
    const interval = (value: number): string => `make_interval(secs => $${params.push(value)}::float8 / 1000)`;
    const range = window
      ? `AND d.next_attempt_at > clock_timestamp() - ${interval(window.sinceMs)}
         AND d.next_attempt_at <= clock_timestamp() + ${interval(window.untilMs)}`
      : '';
    const { rows } = await this.pool.query<{ id: string; due_in_ms: number; at: string; seq: string }>(
      `SELECT id, ${ms('next_attempt_at')} AS due_in_ms, next_attempt_at::text AS at, seq::text AS seq
       FROM webhooks.deliveries d
       WHERE d.state = 'pending' ${range}
         AND ($1::timestamptz IS NULL OR (d.next_attempt_at, d.seq) > ($1::timestamptz, $2::bigint))
       ORDER BY d.next_attempt_at, d.seq LIMIT $3`,
      params,
    );
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => ({ id: r.id, dueInMs: r.due_in_ms })),
      after: last ? [last.at, last.seq] : null,
    };
  }

  /**
   * A subscription's deliveries newest first (by `seq`, keyset after `after`), each with its
   * attempts; null when the subscription is not the tenant's (or deleted).
   */
  async list(
    tenantId: string,
    webhookId: string,
    options: { readonly state?: DeliveryStateName; readonly limit: number; readonly after?: string },
  ): Promise<Page<Delivery> | null> {
    const owner = await this.pool.query(
      `SELECT 1 FROM webhooks.subscriptions WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
      [webhookId, tenantId],
    );
    if (!owner.rowCount) return null;
    const params: unknown[] = [webhookId, options.limit + 1];
    const state = options.state ? `AND d.state = $${params.push(options.state)}` : '';
    const after = options.after ? `AND d.seq < $${params.push(options.after)}::bigint` : '';
    const { rows } = await this.pool.query<DeliveryRow>(
      // d.seq, not seq: the output column `seq` is its text form, which would sort as text.
      `SELECT ${DELIVERY_COLUMNS} FROM webhooks.deliveries d
       WHERE d.webhook_id = $1 ${state} ${after} ORDER BY d.seq DESC LIMIT $2`,
      params,
    );
    const page = rows.slice(0, options.limit);
    const attempts = await this.attemptsOf(page.map((r) => r.seq));
    return {
      items: page.map((r) => toDelivery(r, attempts.get(r.seq) ?? [])),
      after: rows.length > options.limit ? (page[page.length - 1]?.seq ?? null) : null,
    };
  }

  async get(tenantId: string, deliveryId: string): Promise<Delivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhooks.deliveries WHERE id = $1 AND tenant_id = $2`,
      [deliveryId, tenantId],
    );
    if (!rows[0]) return null;
    const attempts = await this.attemptsOf([rows[0].seq]);
    return toDelivery(rows[0], attempts.get(rows[0].seq) ?? []);
  }

  /**
   * A finished delivery (succeeded, dead, cancelled) pending again, due now, with the same id; its
   * attempts go on numbering, its retry schedule starts over.
   */
  async replay(tenantId: string, webhookId: string, deliveryId: string): Promise<ReplayOutcome> {
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE webhooks.deliveries d SET state = 'pending', attempts_base = d.attempts,
         next_attempt_at = clock_timestamp(), finished_at = NULL, lease_until = NULL
       FROM webhooks.subscriptions s
       WHERE d.id = $3 AND d.webhook_id = $2 AND s.id = d.webhook_id AND s.tenant_id = $1
         AND s.deleted_at IS NULL AND d.state <> 'pending'
       RETURNING d.id`,
      [tenantId, webhookId, deliveryId],
    );
    if (rows[0]) {
      const delivery = await this.get(tenantId, deliveryId);
      if (delivery) return { kind: 'replayed', delivery };
    }
    const { rows: found } = await this.pool.query<{ state: string }>(
      `SELECT d.state FROM webhooks.deliveries d JOIN webhooks.subscriptions s ON s.id = d.webhook_id
       WHERE d.id = $3 AND d.webhook_id = $2 AND s.tenant_id = $1 AND s.deleted_at IS NULL`,
      [tenantId, webhookId, deliveryId],
    );
    return found[0]?.state === 'pending' ? { kind: 'pending' } : { kind: 'not-found' };
  }

  /**
   * Deletes finished deliveries created more than `retentionDays` ago (with their attempts), a
   * chunk per statement, and deleted subscriptions left without deliveries. Answers the rows deleted.
   */
  async sweep(retentionDays: number, chunk = 5000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM webhooks.deliveries WHERE seq IN (
           SELECT seq FROM webhooks.deliveries
           WHERE created_at < clock_timestamp() - make_interval(days => $1) AND state <> 'pending'
           LIMIT $2)`,
        [retentionDays, chunk],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < chunk) break;
    }
    await this.pool.query(
      `DELETE FROM webhooks.subscriptions s
       WHERE s.deleted_at < clock_timestamp() - make_interval(days => $1)
         AND NOT EXISTS (SELECT 1 FROM webhooks.deliveries d WHERE d.webhook_id = s.id)`,
      [retentionDays],
    );
    return deleted;
  }

  private async attemptsOf(seqs: readonly string[]): Promise<Map<string, AttemptRow[]>> {
    const bySeq = new Map<string, AttemptRow[]>();
    if (seqs.length === 0) return bySeq;
    const { rows } = await this.pool.query<AttemptRow>(
      `SELECT delivery_seq::text AS delivery_seq, attempt, at, duration_ms, response_status, error
       FROM webhooks.attempts WHERE delivery_seq = ANY($1::bigint[]) ORDER BY delivery_seq, attempt`,
      [seqs],
    );
    for (const r of rows) bySeq.set(r.delivery_seq, [...(bySeq.get(r.delivery_seq) ?? []), r]);
    return bySeq;
  }
}
