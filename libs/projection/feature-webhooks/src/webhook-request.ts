import { CodedError } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { WebhookErrors } from '@meridian/contracts/webhooks';
import type { Log } from '@meridian/shared/util';
import { checkSubscriptionUrl, type LookupAll, type TargetPolicy } from './deliver/target-guard';

/** The tenant a request acts in: its principal's (the gateway checked `webhooks:admin`). */
export const tenantOf = (request: { readonly tenantId?: string; readonly principal?: string }): string =>
  requirePrincipal(request).tenantId;

export const webhookNotFound = (id: string): CodedError =>
  new CodedError(WebhookErrors.webhookNotFound, `webhook ${id} not found`);

/**
 * Refuses a URL the SSRF guard would not call (`WEBHOOK.URL_INVALID`, `WEBHOOK.TARGET_FORBIDDEN`).
 * The answer names the URL and why; an address its name resolved to goes to the service's log only.
 */
export async function assertCallableUrl(
  url: string,
  guard: { readonly policy: TargetPolicy; readonly lookup?: LookupAll; readonly log: Log },
): Promise<void> {
  const refusal = await checkSubscriptionUrl(url, guard.policy, guard.lookup ? { lookup: guard.lookup } : {});
  if (!refusal) return;
  if (refusal.address !== undefined) {
    guard.log.warn({ url: url.slice(0, 200), address: refusal.address }, 'webhook URL refused: non-public address');
  }
  throw new CodedError(refusal.code, `${url.slice(0, 200)}: ${refusal.reason}`);
}
