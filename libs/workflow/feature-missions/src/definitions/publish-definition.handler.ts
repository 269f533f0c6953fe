import { Controller, Inject } from '@nestjs/common';
import { commandReply, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requirePrincipal, requireTenant } from '@meridian/contracts/identity';
import { PublishWorkflowDefinitionV1 } from '@meridian/contracts/missions';
import { type EventStore, handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { decidePermission } from '@meridian/shared/policy';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { definitionDecider, definitionStreamId } from '@meridian/workflow/domain';
import { MISSION_SETTINGS, type MissionSettings } from '../mission-settings';
import { metadataOf } from '../mission-commands';
import { DEFAULT_KEY, seedDefault } from './definitions';

type PublishRequest = Envelope<DataOf<typeof PublishWorkflowDefinitionV1>>;

/**
 * meridian.workflow.definition.publish.v1: a new version of the tenant's definition, validated by the
 * decider (DEFINITION.INVALID names what and where). Publishing `default` first seeds version 1, so
 * the tenant's own `default` is version 2. Needs `missions:approve`.
 */
export async function publishDefinition(
  store: EventStore,
  settings: MissionSettings,
  request: PublishRequest,
  now: Date,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const principal = requirePrincipal(request);
  const { key, machine, deadlineTolerance } = request.data;
  const access = decidePermission(principal, 'missions:approve', now);
  if (access.allow && key === DEFAULT_KEY) await seedDefault(store, tenantId, settings.deadlineTolerance);
  const streamId = definitionStreamId(tenantId, key);
  const result = await handle(
    store,
    definitionDecider,
    streamId,
    {
      type: 'PublishDefinition',
      data: {
        tenantId,
        key,
        machine,
        deadlineTolerance: deadlineTolerance ?? settings.deadlineTolerance,
        now: now.toISOString(),
        access,
      },
    },
    { commandId: request.id, onStage: markCommandStage, metadata: metadataOf(request, tenantId, principal.subject) },
  );
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}

@Controller()
export class PublishDefinitionHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MISSION_SETTINGS) private readonly settings: MissionSettings,
  ) {}

  @CommandHandler(PublishWorkflowDefinitionV1, Topics.workflowCommands)
  publish(request: PublishRequest): Promise<ReplyBody> {
    return publishDefinition(this.store, this.settings, request, new Date());
  }
}
