import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, ErrorCodes, queryReply, Topics } from '@meridian/contracts/core';
import { RotateWebhookSecretV1 } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { openSecret } from '@meridian/shared/util';
import { tenantOf, webhookNotFound } from '../webhook-request';
import { WebhooksRuntime } from '../webhooks.runtime';

/**
 * A new signing secret. The old one keeps signing for `WEBHOOKS_SECRET_GRACE_MS` (24 h): meanwhile
 * every request carries both signatures, `v1,<new> v1,<old>`, so receivers can switch when they like.
 */
@Controller()
export class RotateWebhookSecretHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    private readonly runtime: WebhooksRuntime,
  ) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(RotateWebhookSecretV1, Topics.projectionRequests)
  async rotate(request: Envelope<DataOf<typeof RotateWebhookSecretV1>>): Promise<ReplyBody> {
    const tenantId = tenantOf(request);
    const { webhookId, sealedSecret } = request.data;
    const { settings } = this.runtime;
    try {
      openSecret(settings.secretsKey, sealedSecret);
    } catch {
      throw new CodedError(ErrorCodes.requestInvalid, 'the sealed secret does not open with this service key');
    }
    const webhook = await this.subscriptions.rotateSecret(tenantId, webhookId, sealedSecret, settings.secretGraceMs);
    if (!webhook) throw webhookNotFound(webhookId);
    return queryReply({ outcome: 'ok', result: webhook });
  }
}
