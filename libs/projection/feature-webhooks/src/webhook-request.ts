import { CodedError } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { WebhookErrors } from '@meridian/contracts/webhooks';
import { checkSubscriptionUrl, type LookupAll, type TargetPolicy } from './deliver/target-guard';

/** The tenant a request acts in: its principal's (the gateway checked `webhooks:admin`). */
export const tenantOf = (request: { readonly tenantId?: string; readonly principal?: string }): string =>
  requirePrincipal(request).tenantId;

export const webhookNotFound = (id: string): CodedError =>
  new CodedError(WebhookErrors.webhookNotFound, `webhook ${id} not found`);

/** Refuses a URL the SSRF guard would not call (`WEBHOOK.URL_INVALID`, `WEBHOOK.TARGET_FORBIDDEN`). */
export async function assertCallableUrl(url: string, policy: TargetPolicy, lookup?: LookupAll): Promise<void> {
  const refusal = await checkSubscriptionUrl(url, policy, lookup);
  if (refusal) throw new CodedError(refusal.code, `${url.slice(0, 200)}: ${refusal.reason}`);
}
