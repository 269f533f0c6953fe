import { z } from 'zod';
import { defineMessage, PageLimit, pageOf } from '@meridian/contracts/core';

const Instant = z.iso.datetime({ offset: true });

export const WebhookId = z.uuid();
export const DeliveryId = z
  .string()
  .regex(/^msg_[A-Za-z0-9]{20,40}$/, 'a delivery id is msg_ and 20–40 letters or digits');

/**
 * Which integration events a subscription receives: the event type without `meridian.<service>.`
 * and its version (`geofence.entered` for `meridian.projection.geofence.entered.v1`), a family
 * (`mission.*`), or everything (`*`).
 */
export const WebhookEventFilter = z
  .string()
  .max(100)
  .regex(
    /^(\*|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?)$/,
    'an event filter is an event name such as geofence.entered, a family such as mission.*, or *',
  );

export const WEBHOOK_EVENT_FILTERS_MAX = 50;
export const WebhookEventFilters = z.array(WebhookEventFilter).min(1).max(WEBHOOK_EVENT_FILTERS_MAX);

/** An endpoint URL as given; whether the service may call it (https, public address) is decided by projection. */
export const WebhookUrl = z.string().min(1).max(2000);
export const WebhookDescription = z.string().max(500);

/** A webhook signing secret, sealed with the SECRETS_KEY (`sealSecret`): never in clear on Kafka or at rest. */
export const SealedWebhookSecret = z.string().min(1).max(2000);

/** Commands and queries: gateway → projection (`meridian.projection.requests`), answered with a query reply. */
export const CreateWebhookV1 = defineMessage(
  'meridian.projection.webhook.create.v1',
  'command',
  z.strictObject({
    webhookId: WebhookId,
    url: WebhookUrl,
    events: WebhookEventFilters,
    description: WebhookDescription.optional(),
    sealedSecret: SealedWebhookSecret,
    createdBy: z.string().min(1).max(200),
  }),
  'Subscribe an HTTP endpoint to integration events. The secret arrives sealed; the reply is the subscription.',
);

export const UpdateWebhookV1 = defineMessage(
  'meridian.projection.webhook.update.v1',
  'command',
  z.strictObject({
    webhookId: WebhookId,
    url: WebhookUrl.optional(),
    events: WebhookEventFilters.optional(),
    description: WebhookDescription.nullable().optional(),
    /** Paused: matching events are not recorded for this endpoint; resuming does not send what was missed. */
    paused: z.boolean().optional(),
  }),
  'Change the URL, filters or description of a subscription, or pause and resume it.',
);

export const DeleteWebhookV1 = defineMessage(
  'meridian.projection.webhook.delete.v1',
  'command',
  z.strictObject({ webhookId: WebhookId }),
  'Delete a subscription; deliveries not yet made are cancelled, its delivery log is kept until it expires.',
);

export const RotateWebhookSecretV1 = defineMessage(
  'meridian.projection.webhook.rotate-secret.v1',
  'command',
  z.strictObject({ webhookId: WebhookId, sealedSecret: SealedWebhookSecret }),
  'Replace the signing secret; for a grace period requests carry a signature with the old secret too.',
);

export const ReplayWebhookDeliveryV1 = defineMessage(
  'meridian.projection.webhook.delivery.replay.v1',
  'command',
  z.strictObject({ webhookId: WebhookId, deliveryId: DeliveryId }),
  'Send a finished (dead-lettered or delivered) delivery again, with the same webhook-id.',
);

export const GetWebhookV1 = defineMessage(
  'meridian.projection.webhook.get.v1',
  'query',
  z.strictObject({ webhookId: WebhookId }),
  'One subscription of the tenant.',
);

export const ListWebhooksV1 = defineMessage(
  'meridian.projection.webhooks.list.v1',
  'query',
  z.strictObject({ limit: PageLimit, after: WebhookId.optional() }),
  "The tenant's subscriptions, in id order.",
);

export const deliveryStates = ['pending', 'succeeded', 'dead', 'cancelled'] as const;
export const DeliveryState = z.enum(deliveryStates);

export const ListWebhookDeliveriesV1 = defineMessage(
  'meridian.projection.webhook.deliveries.list.v1',
  'query',
  z.strictObject({
    webhookId: WebhookId,
    state: DeliveryState.optional(),
    limit: PageLimit,
    /** The `seq` of the last delivery of the previous page (newest first). */
    after: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  }),
  "A subscription's deliveries, newest first, each with its attempts.",
);

export const Webhook = z.object({
  id: WebhookId,
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  paused: z.boolean(),
  createdBy: z.string(),
  createdAt: Instant,
  updatedAt: Instant,
  secretRotatedAt: Instant.nullable(),
});
export type Webhook = z.infer<typeof Webhook>;
export const WebhookPage = pageOf(Webhook);

export const DeliveryAttempt = z.object({
  attempt: z.number().int().min(1),
  at: Instant,
  durationMs: z.number().int().nonnegative(),
  /** The receiver's HTTP status; null when no response came (refused, timeout, reset). */
  responseStatus: z.number().int().nullable(),
  /** Why the attempt failed, in words; null for a 2xx. */
  error: z.string().nullable(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const Delivery = z.object({
  /** The `webhook-id` header: the same on every attempt, so receivers can deduplicate. */
  id: DeliveryId,
  webhookId: WebhookId,
  /** The short event name (`geofence.entered`). */
  eventType: z.string(),
  /** The integration event's id (CloudEvents `id`). */
  eventId: z.string(),
  state: DeliveryState,
  attempts: z.array(DeliveryAttempt),
  nextAttemptAt: Instant.nullable(),
  createdAt: Instant,
  finishedAt: Instant.nullable(),
});
export type Delivery = z.infer<typeof Delivery>;
export const DeliveryPage = pageOf(Delivery);
