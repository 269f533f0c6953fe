import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import {
  CreateWebhookV1,
  DeleteWebhookV1,
  GetWebhookV1,
  ListWebhookDeliveriesV1,
  ListWebhooksV1,
  ReplayWebhookDeliveryV1,
  RotateWebhookSecretV1,
  UpdateWebhookV1,
} from './webhooks';

/** Where each webhook message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [
  CreateWebhookV1,
  UpdateWebhookV1,
  DeleteWebhookV1,
  RotateWebhookSecretV1,
  ReplayWebhookDeliveryV1,
  GetWebhookV1,
  ListWebhooksV1,
  ListWebhookDeliveriesV1,
].map((contract) => ({ contract, topic: Topics.projectionRequests }));
