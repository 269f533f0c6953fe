import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { ReplaceZoneV1, ReplaceZoneV2 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { checkedGeometry, runZoneCommand } from '../run-zone-command';
import { zoneAsItIs, zoneWriteAccess } from '../zone-access';
import { ZONE_SETTINGS, type ZoneSettings } from '../zone-settings';

type ReplaceZoneRequest = Envelope<DataOf<typeof ReplaceZoneV2>>;
type ReplaceZoneV1Request = Envelope<DataOf<typeof ReplaceZoneV1>>;

/**
 * meridian.workflow.zone.replace.v2 (PUT with If-Match): a stale `expectedVersion` →
 * REQUEST.PRECONDITION_FAILED. `zones:write` must hold for the zone as it is and as it will be.
 */
export async function replaceZone(
  store: EventStore,
  settings: ZoneSettings,
  request: ReplaceZoneRequest,
  now: Date,
): Promise<ReplyBody> {
  const checked = checkedGeometry(request.data.geometry, settings);
  if ('reply' in checked) return checked.reply;
  const { expectedVersion, ...content } = request.data;
  const replacement = { ...content, geometry: checked.geometry };
  return runZoneCommand(
    store,
    request,
    content.zoneId,
    ({ tenantId, principal }, state) => ({
      type: 'ReplaceZone',
      data: {
        ...replacement,
        tenantId,
        now: now.toISOString(),
        access: zoneWriteAccess(principal, tenantId, [...zoneAsItIs(state, tenantId), replacement], now),
      },
    }),
    expectedVersion,
  );
}

/** A v1 replacement is a v2 one without a team: it leaves the zone without one. */
export const replaceZoneV1 = (
  store: EventStore,
  settings: ZoneSettings,
  request: ReplaceZoneV1Request,
  now: Date,
): Promise<ReplyBody> => replaceZone(store, settings, { ...request, data: { ...request.data, team: null } }, now);

@Controller()
export class ReplaceZoneHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ZONE_SETTINGS) private readonly settings: ZoneSettings,
  ) {}

  @CommandHandler(ReplaceZoneV2, Topics.workflowCommands)
  replace(request: ReplaceZoneRequest): Promise<ReplyBody> {
    return replaceZone(this.store, this.settings, request, new Date());
  }

  @CommandHandler(ReplaceZoneV1, Topics.workflowCommands)
  replaceV1(request: ReplaceZoneV1Request): Promise<ReplyBody> {
    return replaceZoneV1(this.store, this.settings, request, new Date());
  }
}
