import { Module } from '@nestjs/common';
import { WebhooksController } from './webhooks.controller';
import './webhooks.openapi';

/** `/v1/webhooks`: subscriptions and deliveries, answered by projection (docs/webhooks.md). */
@Module({ controllers: [WebhooksController] })
export class GatewayWebhooksModule {}
