import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { DisableUserV1, requireTenant } from '@meridian/contracts/identity';
import { userDecider, userStreamId } from '@meridian/identity/domain';
import { commandContext, identityAdminActor, replyOf } from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { USER_DEPS, type UserDeps } from '../user-deps';

/** meridian.identity.user.disable.v1 → user decider; the snapshot that follows says `active: false`. */
export async function disableUserRoute(deps: UserDeps, request: Envelope, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const { userId } = parseData(DisableUserV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const context = commandContext(request, tenantId, actor);
  const streamId = userStreamId(tenantId, userId);
  const result = await handle(
    deps.store,
    userDecider,
    streamId,
    { type: 'DisableUser', data: { tenantId, userId, actor, access, now: now.toISOString() } },
    { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage },
  );
  return replyOf({ streamId, result });
}

@Controller()
export class DisableUserHandler {
  constructor(@Inject(USER_DEPS) private readonly deps: UserDeps) {}

  @CommandHandler(DisableUserV1, Topics.identityCommands)
  disable(request: Envelope<DataOf<typeof DisableUserV1>>): Promise<ReplyBody> {
    return disableUserRoute(this.deps, request, new Date());
  }
}
