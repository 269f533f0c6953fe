import { ZoneArchivedV1, ZoneCreatedV2, ZoneReplacedV2 } from '@meridian/contracts/zones';
import type { RecordedEvent } from '@meridian/shared/decider';
import { upcast } from '@meridian/shared/event-store';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import { type ZoneEvent, workflowUpcasters } from '@meridian/workflow/domain';

/**
 * Zone domain events → the public contract (`meridian.workflow.zone.*`, key = zone id). Each
 * carries the zone's whole content and stream version, so a projector needs no earlier event to
 * apply it. Events of other aggregates map to null.
 *
 * Creations and replacements go out as v2, also those stored as v1: the mapper upcasts what its
 * store did not (a store read without `workflowUpcasters`, e.g. a rebuild's); an event the store
 * already upcast is at schema version 2 and passes unchanged.
 */
export function toZoneIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const tenantId = event.metadata.tenantId ?? '';
  const version = event.streamVersion;
  const { data } = upcast(workflowUpcasters, event.type, event.schemaVersion, event.data);
  const domain = { type: event.type, data } as ZoneEvent;
  const message = (contract: { type: string; dataschema: string }, zoneId: string, payload: unknown) => ({
    key: zoneId,
    type: contract.type,
    dataschema: contract.dataschema,
    subject: zoneId,
    data: payload,
  });
  switch (domain.type) {
    case 'zone.created.v1':
    case 'zone.created.v2':
      return message(ZoneCreatedV2, domain.data.zoneId, { ...domain.data, version });
    case 'zone.replaced.v1':
    case 'zone.replaced.v2':
      return message(ZoneReplacedV2, domain.data.zoneId, { ...domain.data, tenantId, version });
    case 'zone.archived.v1':
      return message(ZoneArchivedV1, domain.data.zoneId, { ...domain.data, tenantId, version });
    default:
      return null;
  }
}
