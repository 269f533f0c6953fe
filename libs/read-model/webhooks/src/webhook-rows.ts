import type { Delivery, DeliveryAttempt, Webhook } from '@meridian/contracts/webhooks';

export type DeliveryStateName = Delivery['state'];

export interface SubscriptionRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  paused: boolean;
  sealed_secret: string;
  previous_sealed_secret: string | null;
  previous_secret_expires_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  secret_rotated_at: Date | null;
  deleted_at: Date | null;
}

export interface DeliveryRow {
  seq: string;
  id: string;
  webhook_id: string;
  tenant_id: string;
  event_type: string;
  event_id: string;
  ordering_key: string;
  state: DeliveryStateName;
  attempts: number;
  next_attempt_at: Date | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface AttemptRow {
  delivery_seq: string;
  attempt: number;
  at: Date;
  duration_ms: number;
  response_status: number | null;
  error: string | null;
}

export const SUBSCRIPTION_COLUMNS =
  'id, tenant_id, url, events, description, paused, sealed_secret, previous_sealed_secret, ' +
  'previous_secret_expires_at, created_by, created_at, updated_at, secret_rotated_at, deleted_at';

export const DELIVERY_COLUMNS =
  'seq::text AS seq, id, webhook_id, tenant_id, event_type, event_id, ordering_key, state, attempts, ' +
  'next_attempt_at, created_at, finished_at';

/** A subscription as the contracts show it: never its secrets. */
export const toWebhook = (r: SubscriptionRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  paused: r.paused,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  secretRotatedAt: r.secret_rotated_at ? r.secret_rotated_at.toISOString() : null,
});

export const toAttempt = (r: AttemptRow): DeliveryAttempt => ({
  attempt: r.attempt,
  at: r.at.toISOString(),
  durationMs: r.duration_ms,
  responseStatus: r.response_status,
  error: r.error,
});

export const toDelivery = (r: DeliveryRow, attempts: readonly AttemptRow[]): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventType: r.event_type,
  eventId: r.event_id,
  state: r.state,
  attempts: attempts.map(toAttempt),
  nextAttemptAt: r.state === 'pending' && r.next_attempt_at ? r.next_attempt_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
  finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
});
