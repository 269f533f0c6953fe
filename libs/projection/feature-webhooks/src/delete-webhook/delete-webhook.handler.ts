import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { DeleteWebhookV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { tenantOf, webhookNotFound } from '../webhook-request';

/**
 * Deletes a subscription: its pending deliveries are cancelled, its delivery log stays until the
 * retention sweep. A second delete of the same id (a redelivered request) is not found.
 */
@Controller()
export class DeleteWebhookHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(DeleteWebhookV1, Topics.projectionRequests)
  async delete(request: Envelope<DataOf<typeof DeleteWebhookV1>>): Promise<ReplyBody> {
    const { webhookId } = request.data;
    if (!(await this.subscriptions.delete(tenantOf(request), webhookId))) throw webhookNotFound(webhookId);
    return queryReply({ outcome: 'ok', result: { webhookId, deleted: true } });
  }
}
