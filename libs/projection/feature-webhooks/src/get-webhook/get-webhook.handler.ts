import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { GetWebhookV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { tenantOf, webhookNotFound } from '../webhook-request';

/** One subscription of the tenant (never its secret); another tenant's is not found. */
@Controller()
export class GetWebhookHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(GetWebhookV1, Topics.projectionRequests)
  async get(request: Envelope<DataOf<typeof GetWebhookV1>>): Promise<ReplyBody> {
    const { webhookId } = request.data;
    const webhook = await this.subscriptions.get(tenantOf(request), webhookId);
    if (!webhook) throw webhookNotFound(webhookId);
    return queryReply({ outcome: 'ok', result: webhook });
  }
}
