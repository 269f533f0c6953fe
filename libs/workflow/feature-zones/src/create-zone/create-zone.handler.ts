import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { CreateZoneV1 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { checkedGeometry, runZoneCommand } from '../run-zone-command';
import { ZONE_SETTINGS, type ZoneSettings } from '../zone-settings';

type CreateZoneRequest = Envelope<DataOf<typeof CreateZoneV1>>;

/** meridian.workflow.zone.create.v1: geometry checked here, before the decider and before anything is written. */
export async function createZone(
  store: EventStore,
  settings: ZoneSettings,
  request: CreateZoneRequest,
  now: Date,
): Promise<ReplyBody> {
  const checked = checkedGeometry(request.data.geometry, settings);
  if ('reply' in checked) return checked.reply;
  const { zoneId } = request.data;
  return runZoneCommand(store, request, zoneId, (tenantId) => ({
    type: 'CreateZone',
    data: { ...request.data, geometry: checked.geometry, tenantId, now: now.toISOString() },
  }));
}

@Controller()
export class CreateZoneHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ZONE_SETTINGS) private readonly settings: ZoneSettings,
  ) {}

  @CommandHandler(CreateZoneV1, Topics.workflowCommands)
  create(request: CreateZoneRequest): Promise<ReplyBody> {
    return createZone(this.store, this.settings, request, new Date());
  }
}
