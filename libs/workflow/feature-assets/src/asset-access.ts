import type { Principal } from '@meridian/contracts/identity';
import { type Decision, decide } from '@meridian/shared/policy';
import type { AccessAttributes } from '@meridian/workflow/domain';

/**
 * The policy's verdict on `assets:write` for an asset of `tenantId` with these access attributes.
 *
 * Workflow does not know where assets are (positions live in the read model, which services do
 * not share), so the resource has no location and the principal's region is left out: writing an
 * asset takes a role granting `assets:write`, the principal's hours, the tenant, a clearance of at
 * least the asset's sensitivity and, for a team-restricted principal, membership of its team
 * (docs/permissions.md). Where assets are seen (lists, tiles, the stream) the region applies.
 */
export function assetWriteAccess(
  principal: Principal,
  asset: AccessAttributes & { readonly tenantId: string },
  now: Date,
): Decision {
  const { tenantId, sensitivity, team } = asset;
  return decide({ ...principal, region: null }, 'assets:write', { tenantId, sensitivity, team }, now);
}
