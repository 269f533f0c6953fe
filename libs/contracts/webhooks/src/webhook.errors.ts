import { defineErrors } from '@meridian/contracts/core';

export const WebhookErrors = defineErrors({
  webhookNotFound: {
    code: 'WEBHOOK.NOT_FOUND',
    status: 404,
    description: 'No such subscription in this tenant (subscriptions of other tenants are not found either).',
  },
  webhookUrlInvalid: {
    code: 'WEBHOOK.URL_INVALID',
    status: 400,
    description:
      'The URL is not an absolute `https` URL without credentials (plain `http` only to loopback in development mode).',
  },
  webhookTargetForbidden: {
    code: 'WEBHOOK.TARGET_FORBIDDEN',
    status: 400,
    description:
      'The URL names or resolves to a private, loopback, link-local, multicast or otherwise reserved address ' +
      '(server-side request forgery guard). Checked before any connection is made, again at every attempt.',
  },
  webhookPrincipalRestricted: {
    code: 'WEBHOOK.PRINCIPAL_RESTRICTED',
    status: 403,
    description:
      'Webhooks send every matching event of the tenant, whatever its region, sensitivity or team: only a principal ' +
      'without a region, team or clearance restriction may manage them.',
  },
  webhookLimitReached: {
    code: 'WEBHOOK.LIMIT_REACHED',
    status: 409,
    description: 'The tenant has as many subscriptions as allowed (`WEBHOOKS_MAX_PER_TENANT`, default 100).',
  },
  deliveryNotFound: {
    code: 'WEBHOOK.DELIVERY_NOT_FOUND',
    status: 404,
    description: 'No such delivery for this subscription.',
  },
  deliveryNotReplayable: {
    code: 'WEBHOOK.DELIVERY_NOT_REPLAYABLE',
    status: 409,
    description: 'The delivery is still pending (it is being retried); only finished deliveries can be replayed.',
  },
});
