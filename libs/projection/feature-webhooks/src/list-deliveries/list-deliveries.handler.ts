import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ListWebhookDeliveriesV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookDeliveries } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { tenantOf, webhookNotFound } from '../webhook-request';

/** A subscription's deliveries, newest first, each with its attempts; optionally of one state. */
@Controller()
export class ListDeliveriesHandler {
  private readonly deliveries: WebhookDeliveries;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.deliveries = new WebhookDeliveries(pool);
  }

  @QueryHandler(ListWebhookDeliveriesV1, Topics.projectionRequests)
  async list(request: Envelope<DataOf<typeof ListWebhookDeliveriesV1>>): Promise<ReplyBody> {
    const { webhookId, state, limit, after } = request.data;
    const page = await this.deliveries.list(tenantOf(request), webhookId, {
      limit,
      ...(state ? { state } : {}),
      ...(after ? { after } : {}),
    });
    if (!page) throw webhookNotFound(webhookId);
    return queryReply({ outcome: 'ok', result: page });
  }
}
