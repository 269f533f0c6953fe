import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ReplayWebhookDeliveryV1, WebhookErrors } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookDeliveries } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { tenantOf } from '../webhook-request';
import { WebhooksRuntime } from '../webhooks.runtime';

/**
 * Sends a finished delivery (succeeded, dead, or cancelled) again: pending once more with the same
 * id, so the receiver sees the same `webhook-id`; attempts go on numbering, the retry schedule
 * starts over. A pending delivery is still being tried: `WEBHOOK.DELIVERY_NOT_REPLAYABLE`.
 */
@Controller()
export class ReplayDeliveryHandler {
  private readonly deliveries: WebhookDeliveries;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    private readonly runtime: WebhooksRuntime,
  ) {
    this.deliveries = new WebhookDeliveries(pool);
  }

  @QueryHandler(ReplayWebhookDeliveryV1, Topics.projectionRequests)
  async replay(request: Envelope<DataOf<typeof ReplayWebhookDeliveryV1>>): Promise<ReplyBody> {
    const { webhookId, deliveryId } = request.data;
    const outcome = await this.deliveries.replay(tenantOf(request), webhookId, deliveryId);
    if (outcome.kind === 'not-found') {
      throw new CodedError(WebhookErrors.deliveryNotFound, `delivery ${deliveryId} not found`);
    }
    if (outcome.kind === 'pending') {
      throw new CodedError(WebhookErrors.deliveryNotReplayable, `delivery ${deliveryId} is still pending`);
    }
    await this.runtime.dispatcher.enqueue([deliveryId]);
    return queryReply({ outcome: 'ok', result: outcome.delivery });
  }
}
