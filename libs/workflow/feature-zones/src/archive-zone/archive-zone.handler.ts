import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { ArchiveZoneV1 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { runZoneCommand } from '../run-zone-command';
import { zoneAsItIs, zoneWriteAccess } from '../zone-access';

type ArchiveZoneRequest = Envelope<DataOf<typeof ArchiveZoneV1>>;

/**
 * meridian.workflow.zone.archive.v1 (DELETE): archiving twice is archiving once; `zones:write` is
 * decided on the zone as it is.
 */
export function archiveZone(store: EventStore, request: ArchiveZoneRequest, now: Date): Promise<ReplyBody> {
  const { zoneId, expectedVersion } = request.data;
  return runZoneCommand(
    store,
    request,
    zoneId,
    ({ tenantId, principal }, state) => ({
      type: 'ArchiveZone',
      data: {
        zoneId,
        tenantId,
        now: now.toISOString(),
        access: zoneWriteAccess(principal, tenantId, zoneAsItIs(state, tenantId), now),
      },
    }),
    expectedVersion,
  );
}

@Controller()
export class ArchiveZoneHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @CommandHandler(ArchiveZoneV1, Topics.workflowCommands)
  archive(request: ArchiveZoneRequest): Promise<ReplyBody> {
    return archiveZone(this.store, request, new Date());
  }
}
