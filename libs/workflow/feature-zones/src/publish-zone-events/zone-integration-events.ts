import { ZoneArchivedV1, ZoneCreatedV1, ZoneReplacedV1 } from '@meridian/contracts/zones';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import type { ZoneEvent } from '@meridian/workflow/domain';

/**
 * Zone domain events → the public contract (`meridian.workflow.zone.*.v1`, key = zone id). Each
 * carries the zone's whole content and stream version, so a projector needs no earlier event to
 * apply it. Events of other aggregates map to null.
 */
export function toZoneIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const tenantId = event.metadata.tenantId ?? '';
  const version = event.streamVersion;
  const domain = { type: event.type, data: event.data } as ZoneEvent;
  const message = (contract: { type: string; dataschema: string }, zoneId: string, data: unknown) => ({
    key: zoneId,
    type: contract.type,
    dataschema: contract.dataschema,
    subject: zoneId,
    data,
  });
  switch (domain.type) {
    case 'zone.created.v1':
      return message(ZoneCreatedV1, domain.data.zoneId, { ...domain.data, version });
    case 'zone.replaced.v1':
      return message(ZoneReplacedV1, domain.data.zoneId, { ...domain.data, tenantId, version });
    case 'zone.archived.v1':
      return message(ZoneArchivedV1, domain.data.zoneId, { ...domain.data, tenantId, version });
    default:
      return null;
  }
}
