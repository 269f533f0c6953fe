import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { ReplaceZoneV1 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { checkedGeometry, runZoneCommand } from '../run-zone-command';
import { ZONE_SETTINGS, type ZoneSettings } from '../zone-settings';

type ReplaceZoneRequest = Envelope<DataOf<typeof ReplaceZoneV1>>;

/** meridian.workflow.zone.replace.v1 (PUT with If-Match): a stale `expectedVersion` → REQUEST.PRECONDITION_FAILED. */
export async function replaceZone(
  store: EventStore,
  settings: ZoneSettings,
  request: ReplaceZoneRequest,
  now: Date,
): Promise<ReplyBody> {
  const checked = checkedGeometry(request.data.geometry, settings);
  if ('reply' in checked) return checked.reply;
  const { expectedVersion, ...content } = request.data;
  return runZoneCommand(
    store,
    request,
    content.zoneId,
    (tenantId) => ({
      type: 'ReplaceZone',
      data: { ...content, geometry: checked.geometry, tenantId, now: now.toISOString() },
    }),
    expectedVersion,
  );
}

@Controller()
export class ReplaceZoneHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ZONE_SETTINGS) private readonly settings: ZoneSettings,
  ) {}

  @CommandHandler(ReplaceZoneV1, Topics.workflowCommands)
  replace(request: ReplaceZoneRequest): Promise<ReplyBody> {
    return replaceZone(this.store, this.settings, request, new Date());
  }
}
