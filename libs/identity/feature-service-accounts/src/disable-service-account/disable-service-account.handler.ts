import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { DisableServiceAccountV1, requireTenant } from '@meridian/contracts/identity';
import { serviceAccountDecider, serviceAccountStreamId } from '@meridian/identity/domain';
import { commandContext, identityAdminActor, replyOf } from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { SERVICE_ACCOUNT_DEPS, type ServiceAccountDeps } from '../service-account-deps';

/** meridian.identity.service-account.disable.v1 → decider; the next snapshot says `active: false`. */
export async function disableServiceAccountRoute(
  deps: ServiceAccountDeps,
  request: Envelope,
  now: Date,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const { clientId } = parseData(DisableServiceAccountV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const context = commandContext(request, tenantId, actor);
  const streamId = serviceAccountStreamId(clientId);
  const result = await handle(
    deps.store,
    serviceAccountDecider,
    streamId,
    { type: 'DisableServiceAccount', data: { tenantId, clientId, actor, access, now: now.toISOString() } },
    { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage },
  );
  return replyOf({ streamId, result });
}

@Controller()
export class DisableServiceAccountHandler {
  constructor(@Inject(SERVICE_ACCOUNT_DEPS) private readonly deps: ServiceAccountDeps) {}

  @CommandHandler(DisableServiceAccountV1, Topics.identityCommands)
  disable(request: Envelope<DataOf<typeof DisableServiceAccountV1>>): Promise<ReplyBody> {
    return disableServiceAccountRoute(this.deps, request, new Date());
  }
}
