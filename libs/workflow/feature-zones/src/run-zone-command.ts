import { commandReply, type Envelope } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { ZoneErrors } from '@meridian/contracts/zones';
import { type EventStore, handle } from '@meridian/shared/decider';
import { checkZoneGeometry, type ZoneGeometry } from '@meridian/shared/geometry';
import { markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { type ZoneCommand, zoneDecider, zoneStreamId } from '@meridian/workflow/domain';
import type { ZoneSettings } from './zone-settings';

/** A command's zone geometry, checked and rewound, or the ZONE.GEOMETRY_INVALID reply naming what and where. */
export function checkedGeometry(
  geometry: unknown,
  settings: ZoneSettings,
): { geometry: ZoneGeometry } | { reply: ReplyBody } {
  const check = checkZoneGeometry(geometry, { maxVertices: settings.maxVertices });
  if (check.ok) return { geometry: check.geometry };
  return { reply: commandReply({ outcome: 'rejected', code: ZoneErrors.zoneGeometryInvalid, detail: check.detail }) };
}

/**
 * The zone decider on one command: load the zone stream, check `If-Match` (`expectedVersion`),
 * decide, append with ids derived from the request id, reply with the stream version.
 */
export async function runZoneCommand(
  store: EventStore,
  request: Envelope,
  zoneId: string,
  command: (tenantId: string) => ZoneCommand,
  expectedVersion?: number,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const streamId = zoneStreamId(zoneId);
  const result = await handle(store, zoneDecider, streamId, command(tenantId), {
    commandId: request.id,
    onStage: markCommandStage,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    metadata: {
      tenantId,
      correlationId: request.correlationId,
      causationId: request.id,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
  });
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}
