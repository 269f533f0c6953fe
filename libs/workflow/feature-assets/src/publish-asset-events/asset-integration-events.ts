import { AssetRegisteredV1, AssetStatusChangedV1 } from '@meridian/contracts/assets';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import type { AssetEvent } from '@meridian/workflow/domain';

/**
 * Domain events stay internal; this is the edge where they become the versioned public contract
 * (`meridian.workflow.asset.*.v1`). A stored event the contract does not cover maps to null.
 */
export function toIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const tenantId = event.metadata.tenantId ?? '';
  const domain = { type: event.type, data: event.data } as AssetEvent;
  switch (domain.type) {
    case 'asset.registered.v1':
      return {
        key: domain.data.assetId,
        type: AssetRegisteredV1.type,
        dataschema: AssetRegisteredV1.dataschema,
        subject: domain.data.assetId,
        data: {
          assetId: domain.data.assetId,
          tenantId: domain.data.tenantId,
          name: domain.data.name,
          kind: domain.data.kind,
          status: 'registered',
          version: event.streamVersion,
          registeredAt: domain.data.registeredAt,
        },
      };
    case 'asset.status-changed.v1':
      return {
        key: domain.data.assetId,
        type: AssetStatusChangedV1.type,
        dataschema: AssetStatusChangedV1.dataschema,
        subject: domain.data.assetId,
        data: {
          assetId: domain.data.assetId,
          tenantId,
          status: domain.data.to,
          version: event.streamVersion,
          changedAt: domain.data.changedAt,
        },
      };
    default:
      return null;
  }
}
