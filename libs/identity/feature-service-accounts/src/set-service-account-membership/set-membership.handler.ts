import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { requireTenant, SetServiceAccountMembershipV1 } from '@meridian/contracts/identity';
import { serviceAccountDecider, serviceAccountStreamId } from '@meridian/identity/domain';
import { commandContext, identityAdminActor, replyOf } from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { SERVICE_ACCOUNT_DEPS, type ServiceAccountDeps } from '../service-account-deps';

/** meridian.identity.service-account.membership.set.v1 → service-account decider (a permission change). */
export async function setServiceAccountMembershipRoute(
  deps: ServiceAccountDeps,
  request: Envelope,
  now: Date,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const { clientId, roles, attributes } = parseData(SetServiceAccountMembershipV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const context = commandContext(request, tenantId, actor);
  const streamId = serviceAccountStreamId(clientId);
  const result = await handle(
    deps.store,
    serviceAccountDecider,
    streamId,
    {
      type: 'SetServiceAccountMembership',
      data: { tenantId, clientId, roles, attributes, actor, access, now: now.toISOString() },
    },
    { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage },
  );
  return replyOf({ streamId, result });
}

@Controller()
export class SetServiceAccountMembershipHandler {
  constructor(@Inject(SERVICE_ACCOUNT_DEPS) private readonly deps: ServiceAccountDeps) {}

  @CommandHandler(SetServiceAccountMembershipV1, Topics.identityCommands)
  set(request: Envelope<DataOf<typeof SetServiceAccountMembershipV1>>): Promise<ReplyBody> {
    return setServiceAccountMembershipRoute(this.deps, request, new Date());
  }
}
