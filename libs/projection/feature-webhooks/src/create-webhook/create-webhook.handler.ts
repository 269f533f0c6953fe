import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, ErrorCodes, queryReply, Topics } from '@meridian/contracts/core';
import { CreateWebhookV1, WebhookErrors } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { openSecret } from '@meridian/shared/util';
import { assertCallableUrl, tenantOf } from '../webhook-request';
import { WebhooksRuntime } from '../webhooks.runtime';

/**
 * Subscribes an endpoint: the URL must pass the SSRF guard, the sealed secret must open with this
 * service's SECRETS_KEY (it is stored sealed, as it came), and the tenant must be under its limit.
 * The same request again (same webhook id) answers the subscription it created.
 */
@Controller()
export class CreateWebhookHandler {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    private readonly runtime: WebhooksRuntime,
  ) {
    this.subscriptions = new WebhookSubscriptions(pool);
  }

  @QueryHandler(CreateWebhookV1, Topics.projectionRequests)
  async create(request: Envelope<DataOf<typeof CreateWebhookV1>>): Promise<ReplyBody> {
    const tenantId = tenantOf(request);
    const { webhookId, url, events, description, sealedSecret, createdBy } = request.data;
    const { settings } = this.runtime;
    await assertCallableUrl(url, this.runtime.guard);
    try {
      openSecret(settings.secretsKey, sealedSecret);
    } catch {
      throw new CodedError(ErrorCodes.requestInvalid, 'the sealed secret does not open with this service key');
    }
    const outcome = await this.subscriptions.create(
      { id: webhookId, tenantId, url, events, description: description ?? null, sealedSecret, createdBy },
      settings.maxPerTenant,
    );
    if (outcome.kind === 'limit') {
      throw new CodedError(
        WebhookErrors.webhookLimitReached,
        `the tenant has ${settings.maxPerTenant} subscriptions already`,
      );
    }
    if (outcome.kind === 'taken') throw new CodedError(ErrorCodes.requestInvalid, `webhook id ${webhookId} is taken`);
    return queryReply({ outcome: 'ok', result: outcome.webhook });
  }
}
