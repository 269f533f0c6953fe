import { type DynamicModule, Module } from '@nestjs/common';
import { CreateWebhookHandler } from './create-webhook/create-webhook.handler';
import { DeleteWebhookHandler } from './delete-webhook/delete-webhook.handler';
import { GetWebhookHandler } from './get-webhook/get-webhook.handler';
import { ListDeliveriesHandler } from './list-deliveries/list-deliveries.handler';
import { ListWebhooksHandler } from './list-webhooks/list-webhooks.handler';
import { ReplayDeliveryHandler } from './replay-delivery/replay-delivery.handler';
import { RotateWebhookSecretHandler } from './rotate-webhook-secret/rotate-webhook-secret.handler';
import { UpdateWebhookHandler } from './update-webhook/update-webhook.handler';
import { WebhooksRuntime } from './webhooks.runtime';
import { resolveWebhooksSettings, WEBHOOKS_SETTINGS, type WebhooksSettings } from './webhooks.settings';

/**
 * Webhooks (issue 13): subscriptions and deliveries in the `webhooks` schema, their management on
 * `meridian.projection.requests`, the fan-out of integration events into deliveries and their
 * dispatch through BullMQ. Needs READ_POOL (ReadModelModule), BUS and LOGGER (CoreModule).
 * `WebhooksRuntime` (exported) holds the dispatcher, its counters and the consumer.
 */
@Module({})
export class ProjectionWebhooksModule {
  static forRoot(settings: WebhooksSettings): DynamicModule {
    return {
      module: ProjectionWebhooksModule,
      controllers: [
        CreateWebhookHandler,
        UpdateWebhookHandler,
        DeleteWebhookHandler,
        RotateWebhookSecretHandler,
        GetWebhookHandler,
        ListWebhooksHandler,
        ListDeliveriesHandler,
        ReplayDeliveryHandler,
      ],
      providers: [{ provide: WEBHOOKS_SETTINGS, useValue: resolveWebhooksSettings(settings) }, WebhooksRuntime],
      exports: [WebhooksRuntime],
    };
  }
}
