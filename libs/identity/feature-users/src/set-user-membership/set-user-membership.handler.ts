import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { requireTenant, SetUserMembershipV1 } from '@meridian/contracts/identity';
import { userDecider, userStreamId } from '@meridian/identity/domain';
import { commandContext, identityAdminActor, replyOf } from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { USER_DEPS, type UserDeps } from '../user-deps';

/** meridian.identity.user.membership.set.v1 → user decider → a permission change, published as a new snapshot. */
export async function setUserMembershipRoute(deps: UserDeps, request: Envelope, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const { userId, roles, attributes } = parseData(SetUserMembershipV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const context = commandContext(request, tenantId, actor);
  const streamId = userStreamId(tenantId, userId);
  const result = await handle(
    deps.store,
    userDecider,
    streamId,
    {
      type: 'SetUserMembership',
      data: { tenantId, userId, roles, attributes, actor, access, now: now.toISOString() },
    },
    { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage },
  );
  return replyOf({ streamId, result });
}

@Controller()
export class SetUserMembershipHandler {
  constructor(@Inject(USER_DEPS) private readonly deps: UserDeps) {}

  @CommandHandler(SetUserMembershipV1, Topics.identityCommands)
  set(request: Envelope<DataOf<typeof SetUserMembershipV1>>): Promise<ReplyBody> {
    return setUserMembershipRoute(this.deps, request, new Date());
  }
}
