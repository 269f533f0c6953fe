import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { FederatedLoginV1, requireTenant } from '@meridian/contracts/identity';
import {
  commandContext,
  type FederatedUser,
  identityAdminActor,
  logInFederated,
  replyOf,
} from '@meridian/identity/data-access';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { USER_DEPS, type UserDeps } from '../user-deps';

/** The federated login, in process (it lives in data-access so that identity's federation can reach it too). */
export { type FederatedUser, logInFederated } from '@meridian/identity/data-access';

/**
 * meridian.identity.user.federated-login.v1: a federated login sent as a command (as `system`
 * without a principal header). Identity's own federation may call `recordFederatedLogin` in process.
 */
export async function federatedLoginRoute(deps: UserDeps, request: Envelope, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const data = parseData(FederatedLoginV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const login: FederatedUser = { tenantId, ...data };
  const context = { ...commandContext(request, tenantId, actor), access };
  return replyOf(await logInFederated(deps, login, context, now));
}

@Controller()
export class FederatedLoginHandler {
  constructor(@Inject(USER_DEPS) private readonly deps: UserDeps) {}

  @CommandHandler(FederatedLoginV1, Topics.identityCommands)
  logIn(request: Envelope<DataOf<typeof FederatedLoginV1>>): Promise<ReplyBody> {
    return federatedLoginRoute(this.deps, request, new Date());
  }
}
