import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ListWebhooksV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { tenantOf } from '../webhook-request';

/** The tenant's subscriptions in id order, a keyset page at a time. */
@Controller()
export class ListWebhooksHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(ListWebhooksV1, Topics.projectionRequests)
  async list(request: Envelope<DataOf<typeof ListWebhooksV1>>): Promise<ReplyBody> {
    const { limit, after } = request.data;
    const page = await this.subscriptions.list(tenantOf(request), limit, after ?? null);
    return queryReply({ outcome: 'ok', result: page });
  }
}
