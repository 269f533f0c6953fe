import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { UpdateWebhookV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { assertCallableUrl, tenantOf, webhookNotFound } from '../webhook-request';
import { WebhooksRuntime } from '../webhooks.runtime';

/** Changes the URL (checked by the SSRF guard), filters or description, or pauses and resumes. */
@Controller()
export class UpdateWebhookHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    private readonly runtime: WebhooksRuntime,
  ) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(UpdateWebhookV1, Topics.projectionRequests)
  async update(request: Envelope<DataOf<typeof UpdateWebhookV1>>): Promise<ReplyBody> {
    const tenantId = tenantOf(request);
    const { webhookId, url, events, description, paused } = request.data;
    if (url !== undefined) await assertCallableUrl(url, this.runtime.guard);
    const webhook = await this.subscriptions.update(tenantId, webhookId, {
      ...(url !== undefined ? { url } : {}),
      ...(events !== undefined ? { events } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(paused !== undefined ? { paused } : {}),
    });
    if (!webhook) throw webhookNotFound(webhookId);
    return queryReply({ outcome: 'ok', result: webhook });
  }
}
