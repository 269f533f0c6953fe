import { ErrorCodes } from '@meridian/contracts/core';
import { Delivery, Webhook, WebhookErrors } from '@meridian/contracts/webhooks';
import {
  errorResponses,
  type Json,
  jsonSchema,
  pageParameters,
  registerOperation,
  registerSchema,
} from '@meridian/gateway/util-http';
import { CreateWebhookBody, UpdateWebhookBody } from './webhooks.controller';

registerSchema('Webhook', () => jsonSchema(Webhook));
registerSchema('WebhookDelivery', () => jsonSchema(Delivery));

const webhookRef: Json = { $ref: '#/components/schemas/Webhook' };
const deliveryRef: Json = { $ref: '#/components/schemas/WebhookDelivery' };
const withSecret: Json = {
  allOf: [
    webhookRef,
    {
      type: 'object',
      required: ['secret'],
      properties: {
        secret: {
          type: 'string',
          description: 'The signing secret (`whsec_…`): shown once, never again. Keep it with the receiver.',
        },
      },
    },
  ],
};

const ID = '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f';
const WEBHOOK_EXAMPLE = {
  id: ID,
  url: 'https://hooks.example.com/meridian',
  events: ['geofence.entered', 'geofence.exited', 'mission.*'],
  description: 'Dispatch board',
  paused: false,
  createdBy: 'admin-1',
  createdAt: '2026-12-01T08:00:00Z',
  updatedAt: '2026-12-01T08:00:00Z',
  secretRotatedAt: null,
};
const DELIVERY_EXAMPLE = {
  id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  webhookId: ID,
  eventType: 'geofence.entered',
  eventId: '0193a0c2-5b7e-7c11-8e1f-3f8d2b9c4a10',
  state: 'succeeded',
  attempts: [
    {
      attempt: 1,
      at: '2026-12-01T08:01:00Z',
      durationMs: 10000,
      responseStatus: null,
      error: 'timed out after 10000 ms',
    },
    { attempt: 2, at: '2026-12-01T08:01:15Z', durationMs: 42, responseStatus: 200, error: null },
  ],
  nextAttemptAt: null,
  createdAt: '2026-12-01T08:01:00Z',
  finishedAt: '2026-12-01T08:01:15Z',
};

const idPath: Json = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
  example: ID,
};
const listOf = (field: string, items: Json): Json => ({
  type: 'object',
  required: [field, 'numberReturned', 'links'],
  properties: {
    [field]: { type: 'array', items },
    numberReturned: { type: 'integer' },
    links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
  },
});
const json = (schema: Json, example: unknown): Json => ({ 'application/json': { schema, example } });
const bodyErrors = [
  ErrorCodes.requestMalformedJson,
  ErrorCodes.requestTooLarge,
  ErrorCodes.requestUnsupportedMediaType,
];
const notFound = [WebhookErrors.webhookNotFound, ErrorCodes.requestInvalid, ErrorCodes.upstreamTimeout];
const TAGS = ['webhooks'];
const NEEDS = ' Needs `webhooks:admin` (role admin).';

const SIGNING =
  'Each delivery is an HTTP POST of `{"type", "timestamp", "data"}` signed as the Standard Webhooks ' +
  'specification says: `webhook-id` (the same on every attempt: deduplicate on it), `webhook-timestamp` (Unix ' +
  'seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the base64 part of ' +
  'the secret). Failed attempts are retried with exponential backoff and jitter (docs/webhooks.md), then the ' +
  'delivery is dead-lettered (`dead`) and can be replayed.';

registerOperation('/v1/webhooks', 'post', () => ({
  summary: 'Subscribe an endpoint to events',
  description:
    '`events` names integration events without `meridian.<service>.` and the version: `geofence.entered`, a family ' +
    '(`mission.*`) or `*`. The URL must be `https` and resolve to public addresses (private, loopback and ' +
    'link-local targets are refused; development mode also allows loopback). ' +
    SIGNING +
    NEEDS,
  operationId: 'createWebhook',
  tags: TAGS,
  requestBody: {
    required: true,
    content: json(jsonSchema(CreateWebhookBody), {
      url: 'https://hooks.example.com/meridian',
      events: ['geofence.entered', 'mission.*'],
      description: 'Dispatch board',
    }),
  },
  responses: {
    '201': {
      description: 'Subscribed; `secret` is shown this once. `Location` is the subscription.',
      headers: { Location: { schema: { type: 'string' } } },
      content: json(withSecret, { ...WEBHOOK_EXAMPLE, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
    },
    ...errorResponses(
      ...bodyErrors,
      WebhookErrors.webhookUrlInvalid,
      WebhookErrors.webhookTargetForbidden,
      WebhookErrors.webhookLimitReached,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));

registerOperation('/v1/webhooks', 'get', () => ({
  summary: "The tenant's webhook subscriptions, one page at a time",
  description: 'In id order; `links` has `next` while more match.' + NEEDS,
  operationId: 'listWebhooks',
  tags: TAGS,
  parameters: [...pageParameters],
  responses: {
    '200': {
      description: 'Subscriptions (never their secrets).',
      content: json(listOf('webhooks', webhookRef), { webhooks: [WEBHOOK_EXAMPLE], numberReturned: 1, links: [] }),
    },
    ...errorResponses(ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));

registerOperation('/v1/webhooks/{id}', 'get', () => ({
  summary: 'One webhook subscription',
  description: NEEDS.trim(),
  operationId: 'getWebhook',
  tags: TAGS,
  parameters: [idPath],
  responses: {
    '200': { description: 'The subscription (never its secret).', content: json(webhookRef, WEBHOOK_EXAMPLE) },
    ...errorResponses(...notFound),
  },
}));

registerOperation('/v1/webhooks/{id}', 'patch', () => ({
  summary: 'Change, pause or resume a subscription',
  description:
    'Any of `url`, `events`, `description`, `paused`. While paused, matching events are not recorded for it; ' +
    'resuming does not send what was missed.' +
    NEEDS,
  operationId: 'updateWebhook',
  tags: TAGS,
  parameters: [idPath],
  requestBody: { required: true, content: json(jsonSchema(UpdateWebhookBody), { paused: true }) },
  responses: {
    '200': {
      description: 'The subscription as changed.',
      content: json(webhookRef, { ...WEBHOOK_EXAMPLE, paused: true }),
    },
    ...errorResponses(
      ...bodyErrors,
      ...notFound,
      WebhookErrors.webhookUrlInvalid,
      WebhookErrors.webhookTargetForbidden,
    ),
  },
}));

registerOperation('/v1/webhooks/{id}', 'delete', () => ({
  summary: 'Delete a subscription',
  description: 'Deliveries not yet made are cancelled.' + NEEDS,
  operationId: 'deleteWebhook',
  tags: TAGS,
  parameters: [idPath],
  responses: { '204': { description: 'Deleted.' }, ...errorResponses(...notFound) },
}));

registerOperation('/v1/webhooks/{id}/rotate-secret', 'post', () => ({
  summary: 'Rotate the signing secret',
  description:
    'A new secret, shown once. For a grace period (24 h) requests carry two signatures, with the new and the old ' +
    'secret (space-separated in `webhook-signature`), so the receiver can switch without losing deliveries.' +
    NEEDS,
  operationId: 'rotateWebhookSecret',
  tags: TAGS,
  parameters: [idPath],
  responses: {
    '200': {
      description: 'The subscription and its new secret (shown this once).',
      content: json(withSecret, {
        ...WEBHOOK_EXAMPLE,
        secretRotatedAt: '2026-12-02T08:00:00Z',
        secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
      }),
    },
    ...errorResponses(...notFound),
  },
}));

registerOperation('/v1/webhooks/{id}/deliveries', 'get', () => ({
  summary: "A subscription's deliveries and their attempts",
  description:
    'Newest first; each delivery with every attempt (time, duration, response status or the reason it failed). ' +
    '`state=dead` lists the dead-lettered ones.' +
    NEEDS,
  operationId: 'listWebhookDeliveries',
  tags: TAGS,
  parameters: [
    idPath,
    {
      name: 'state',
      in: 'query',
      required: false,
      schema: { type: 'string', enum: ['pending', 'succeeded', 'dead', 'cancelled'] },
    },
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'Deliveries, newest first; `links` has `next` while more match.',
      content: json(listOf('deliveries', deliveryRef), {
        deliveries: [DELIVERY_EXAMPLE],
        numberReturned: 1,
        links: [],
      }),
    },
    ...errorResponses(...notFound, ErrorCodes.cursorInvalid),
  },
}));

registerOperation('/v1/webhooks/{id}/deliveries/{deliveryId}/replay', 'post', () => ({
  summary: 'Send a finished delivery again',
  description:
    'A dead-lettered (or delivered) delivery goes back to pending, with the same `webhook-id`; its attempts ' +
    'continue from where they were.' +
    NEEDS,
  operationId: 'replayWebhookDelivery',
  tags: TAGS,
  parameters: [
    idPath,
    { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string' }, example: DELIVERY_EXAMPLE.id },
  ],
  responses: {
    '202': {
      description: 'Pending again.',
      content: json(deliveryRef, { ...DELIVERY_EXAMPLE, state: 'pending', finishedAt: null }),
    },
    ...errorResponses(...notFound, WebhookErrors.deliveryNotFound, WebhookErrors.deliveryNotReplayable),
  },
}));
