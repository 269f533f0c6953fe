import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { CreateZoneV1, CreateZoneV2 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { checkedGeometry, runZoneCommand } from '../run-zone-command';
import { zoneWriteAccess } from '../zone-access';
import { ZONE_SETTINGS, type ZoneSettings } from '../zone-settings';

type CreateZoneRequest = Envelope<DataOf<typeof CreateZoneV2>>;
type CreateZoneV1Request = Envelope<DataOf<typeof CreateZoneV1>>;

/**
 * meridian.workflow.zone.create.v2: geometry checked here, before the decider and before anything
 * is written; `zones:write` decided on the zone to be (its geometry, sensitivity and team).
 */
export async function createZone(
  store: EventStore,
  settings: ZoneSettings,
  request: CreateZoneRequest,
  now: Date,
): Promise<ReplyBody> {
  const checked = checkedGeometry(request.data.geometry, settings);
  if ('reply' in checked) return checked.reply;
  const zone = { ...request.data, geometry: checked.geometry };
  return runZoneCommand(store, request, zone.zoneId, ({ tenantId, principal }) => ({
    type: 'CreateZone',
    data: { ...zone, tenantId, now: now.toISOString(), access: zoneWriteAccess(principal, tenantId, [zone], now) },
  }));
}

/** A v1 command is a v2 one without a team. */
export const createZoneV1 = (
  store: EventStore,
  settings: ZoneSettings,
  request: CreateZoneV1Request,
  now: Date,
): Promise<ReplyBody> => createZone(store, settings, { ...request, data: { ...request.data, team: null } }, now);

@Controller()
export class CreateZoneHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ZONE_SETTINGS) private readonly settings: ZoneSettings,
  ) {}

  @CommandHandler(CreateZoneV2, Topics.workflowCommands)
  create(request: CreateZoneRequest): Promise<ReplyBody> {
    return createZone(this.store, this.settings, request, new Date());
  }

  @CommandHandler(CreateZoneV1, Topics.workflowCommands)
  createV1(request: CreateZoneV1Request): Promise<ReplyBody> {
    return createZoneV1(this.store, this.settings, request, new Date());
  }
}
