import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { type DataOf, ErrorCodes, type MessageContract, Topics } from '@meridian/contracts/core';
import {
  CreateWebhookV1,
  Delivery,
  DeliveryId,
  DeliveryPage,
  DeliveryState,
  DeleteWebhookV1,
  GetWebhookV1,
  ListWebhookDeliveriesV1,
  ListWebhooksV1,
  ReplayWebhookDeliveryV1,
  RotateWebhookSecretV1,
  UpdateWebhookV1,
  Webhook,
  WebhookDescription,
  WebhookErrors,
  WebhookEventFilters,
  WebhookId,
  WebhookPage,
  WebhookUrl,
} from '@meridian/contracts/webhooks';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { actingPrincipal, RequirePermission } from '@meridian/gateway/util-auth';
import {
  invalid,
  JSON_TYPE,
  type Link,
  pageParams,
  parseOr400,
  problemFromCode,
  servePage,
  Tenant,
} from '@meridian/gateway/util-http';
import { isUnrestricted } from '@meridian/shared/policy';
import { sealSecret } from '@meridian/shared/util';

export const CreateWebhookBody = z.strictObject({
  url: WebhookUrl,
  events: WebhookEventFilters,
  description: WebhookDescription.optional(),
});

export const UpdateWebhookBody = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: WebhookEventFilters.optional(),
    description: WebhookDescription.nullable().optional(),
    paused: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of url, events, description, paused');

const ListDeliveriesParams = z.strictObject({ state: DeliveryState.optional(), ...pageParams });
const ListWebhooksParams = z.strictObject(pageParams);

/** A new signing secret as Standard Webhooks writes it: `whsec_` and base64 of 24 random bytes. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

const idParam = (value: string): string => {
  const id = WebhookId.safeParse(value);
  if (!id.success) throw invalid(ErrorCodes.requestInvalid, `webhook id must be a UUID, not ${JSON.stringify(value)}`);
  return id.data;
};

const deliveryParam = (value: string): string => {
  const id = DeliveryId.safeParse(value);
  if (!id.success)
    throw invalid(ErrorCodes.requestInvalid, `delivery id must look like msg_…, not ${JSON.stringify(value)}`);
  return id.data;
};

export interface WebhookWithSecret extends Webhook {
  /** Shown once: Meridian keeps it only sealed and never shows it again. */
  readonly secret: string;
}

export interface WebhookList {
  readonly webhooks: readonly Webhook[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

export interface DeliveryList {
  readonly deliveries: readonly Delivery[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

/**
 * `/v1/webhooks`: subscriptions and their deliveries, kept by projection (which consumes the events
 * and delivers them). Every request goes to projection's request topic and is answered there. The
 * signing secret is made here, sealed with SECRETS_KEY before it goes on Kafka, and shown once.
 */
@Controller('v1/webhooks')
@RequirePermission('webhooks:admin')
export class WebhooksController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /**
   * Deliveries carry every matching event of the tenant (no row filter applies to a receiver), so only an
   * unrestricted principal — no region, teams or clearance limit — may manage them.
   */
  private ask<C extends MessageContract>(contract: C, data: DataOf<C>, tenantId: string): Promise<unknown> {
    const principal = actingPrincipal();
    if (principal && !isUnrestricted(principal)) {
      throw problemFromCode(
        WebhookErrors.webhookPrincipalRestricted,
        'webhooks deliver events of the whole tenant: a principal limited by region, teams or clearance ' +
          'cannot manage them',
      );
    }
    return this.bus.query(contract, data, tenantId, { topic: Topics.projectionRequests });
  }

  /** 201 with the subscription and its secret (shown once), `Location` its URL. */
  @Post()
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookWithSecret> {
    const input = parseOr400(CreateWebhookBody, body);
    const secret = newWebhookSecret();
    const webhookId = uuidv7();
    const createdBy = actingPrincipal()?.subject ?? 'unknown';
    const data = { ...input, webhookId, createdBy, sealedSecret: sealSecret(this.settings.secretsKey, secret) };
    const webhook = Webhook.parse(await this.ask(CreateWebhookV1, data, tenantId));
    void reply.status(201).header('location', `${this.settings.publicUrl}/v1/webhooks/${webhook.id}`);
    return { ...webhook, secret };
  }

  @Get()
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<WebhookList> {
    const params = parseOr400(ListWebhooksParams, query);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: '/v1/webhooks',
        scope: `webhooks:${tenantId}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
      },
      async (limit, after) =>
        WebhookPage.parse(await this.ask(ListWebhooksV1, { limit, ...(after ? { after } : {}) }, tenantId)),
    );
    return { webhooks: page.items, numberReturned: page.numberReturned, links: page.links };
  }

  @Get(':id')
  async get(@Tenant() tenantId: string, @Param('id') id: string): Promise<Webhook> {
    return Webhook.parse(await this.ask(GetWebhookV1, { webhookId: idParam(id) }, tenantId));
  }

  /** Change the URL, filters or description; `{"paused": true}` pauses, `false` resumes. */
  @Patch(':id')
  async update(@Tenant() tenantId: string, @Param('id') id: string, @Body() body: unknown): Promise<Webhook> {
    const webhookId = idParam(id);
    const input = parseOr400(UpdateWebhookBody, body);
    return Webhook.parse(await this.ask(UpdateWebhookV1, { ...input, webhookId }, tenantId));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Tenant() tenantId: string, @Param('id') id: string): Promise<void> {
    await this.ask(DeleteWebhookV1, { webhookId: idParam(id) }, tenantId);
  }

  /** A new secret (shown once); requests are signed with the old one too for a grace period. */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotate(@Tenant() tenantId: string, @Param('id') id: string): Promise<WebhookWithSecret> {
    const secret = newWebhookSecret();
    const sealedSecret = sealSecret(this.settings.secretsKey, secret);
    const webhook = Webhook.parse(
      await this.ask(RotateWebhookSecretV1, { webhookId: idParam(id), sealedSecret }, tenantId),
    );
    return { ...webhook, secret };
  }

  /** Deliveries newest first, each with its attempts. */
  @Get(':id/deliveries')
  async deliveries(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<DeliveryList> {
    const webhookId = idParam(id);
    const params = parseOr400(ListDeliveriesParams, query);
    const state = params.state ? { state: params.state } : {};
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: `/v1/webhooks/${webhookId}/deliveries`,
        scope: `webhook-deliveries:${tenantId}:${webhookId}:${params.state ?? ''}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { state: params.state },
      },
      async (limit, after) =>
        DeliveryPage.parse(
          await this.ask(
            ListWebhookDeliveriesV1,
            { webhookId, ...state, limit, ...(after ? { after } : {}) },
            tenantId,
          ),
        ),
    );
    return { deliveries: page.items, numberReturned: page.numberReturned, links: page.links };
  }

  /** Sends a finished delivery again, with the same `webhook-id`: 202, the delivery pending again. */
  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  async replay(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<Delivery> {
    const data = { webhookId: idParam(id), deliveryId: deliveryParam(deliveryId) };
    return Delivery.parse(await this.ask(ReplayWebhookDeliveryV1, data, tenantId));
  }
}
