import { AssetRegisteredV2, AssetStatusChangedV1 } from '@meridian/contracts/assets';
import type { RecordedEvent } from '@meridian/shared/decider';
import { upcast } from '@meridian/shared/event-store';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import { type AssetEvent, workflowUpcasters } from '@meridian/workflow/domain';

/**
 * Domain events stay internal; this is the edge where they become the versioned public contract
 * (`meridian.workflow.asset.*`). A stored event the contract does not cover maps to null.
 *
 * Registrations go out as `asset.registered.v2`, also those stored as v1: the mapper upcasts what
 * its store did not (a store read without `workflowUpcasters`, e.g. a rebuild's); an event the
 * store already upcast is at schema version 2 and passes unchanged.
 */
export function toIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const tenantId = event.metadata.tenantId ?? '';
  const { data } = upcast(workflowUpcasters, event.type, event.schemaVersion, event.data);
  const domain = { type: event.type, data } as AssetEvent;
  switch (domain.type) {
    case 'asset.registered.v1':
    case 'asset.registered.v2':
      return {
        key: domain.data.assetId,
        type: AssetRegisteredV2.type,
        dataschema: AssetRegisteredV2.dataschema,
        subject: domain.data.assetId,
        data: {
          assetId: domain.data.assetId,
          tenantId: domain.data.tenantId,
          name: domain.data.name,
          kind: domain.data.kind,
          status: 'registered',
          version: event.streamVersion,
          registeredAt: domain.data.registeredAt,
          sensitivity: domain.data.sensitivity,
          team: domain.data.team,
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
