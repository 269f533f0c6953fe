import { AssetRegisteredV1, AssetStatusChangedV1, type Envelope, parseData } from '@meridian/contracts';
import type { AssetLatestRepository } from '@meridian/projection/data-access';

/**
 * Projects workflow integration events into asset_latest. Types it does not know are skipped:
 * the events topic grows new types and an old projector must keep going.
 */
export async function projectAssetEvent(repo: AssetLatestRepository, event: Envelope): Promise<void> {
  switch (event.type) {
    case AssetRegisteredV1.type: {
      const e = parseData(AssetRegisteredV1, event);
      await repo.applyRegistration({ assetId: e.assetId, tenantId: e.tenantId, name: e.name, kind: e.kind, status: e.status, version: e.version });
      return;
    }
    case AssetStatusChangedV1.type: {
      const e = parseData(AssetStatusChangedV1, event);
      await repo.applyStatus(e.assetId, e.tenantId, e.status, e.version);
      return;
    }
    default:
      return;
  }
}
