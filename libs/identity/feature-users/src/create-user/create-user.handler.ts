import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { CreateUserV1, requireTenant } from '@meridian/contracts/identity';
import {
  type AdminAccess,
  type CreateUser,
  type MemberAttributes,
  type PrincipalRole,
  userDecider,
  userStreamId,
} from '@meridian/identity/domain';
import {
  claimUsername,
  commandContext,
  type CommandContext,
  identityAdminActor,
  openSealedInput,
  replyOf,
  requireActiveTenant,
  sealedPasswordHash,
  type StreamOutcome,
} from '@meridian/identity/data-access';
import { deriveEventId, handle, load } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { USER_DEPS, type UserDeps } from '../user-deps';

/** A user to create, its password in clear (opened from the command, or from the bootstrap's config). */
export interface NewUser {
  readonly tenantId: string;
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly password: string | null;
  readonly roles: readonly PrincipalRole[];
  readonly attributes: MemberAttributes;
}

/**
 * The create path of the command and of the bootstrap. The decider is asked first against the
 * current state, so an existing user or a refused actor claims no username; then the tenant must
 * exist, the username is claimed, the password hashed (scrypt) and sealed, and the user created.
 * A redelivered command finds its events and is answered as before.
 */
export async function createUser(
  deps: UserDeps,
  user: NewUser,
  context: CommandContext & { readonly access: AdminAccess },
  now: Date,
): Promise<StreamOutcome> {
  const { password, ...fields } = user;
  const streamId = userStreamId(user.tenantId, user.userId);
  const command = (passwordHash: string | null): CreateUser => ({
    type: 'CreateUser',
    data: { ...fields, passwordHash, actor: context.actor, access: context.access, now: now.toISOString() },
  });
  const options = { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage };
  const loaded = await load(deps.store, userDecider, streamId);
  if (loaded.versionsById.has(deriveEventId(context.commandId, 0))) {
    return { streamId, result: await handle(deps.store, userDecider, streamId, command(null), options) };
  }
  const early = userDecider.decide(command(null), loaded.state);
  if (!early.ok) return { streamId, result: early };
  await requireActiveTenant(deps.store, user.tenantId);
  const claimed = await claimUsername(deps.store, user, context, now);
  if (!claimed.ok) return { streamId, result: claimed };
  const hash = password === null ? null : await sealedPasswordHash(deps.secretsKey, password);
  return { streamId, result: await handle(deps.store, userDecider, streamId, command(hash), options) };
}

/** meridian.identity.user.create.v1 → open the sealed password → createUser → reply. */
export async function createUserRoute(deps: UserDeps, request: Envelope, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const data = parseData(CreateUserV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const password = data.password === undefined ? null : openSealedInput(deps.secretsKey, data.password, 'password');
  const user: NewUser = {
    tenantId,
    userId: data.userId,
    username: data.username,
    displayName: data.displayName,
    email: data.email ?? null,
    password,
    roles: data.roles,
    attributes: data.attributes,
  };
  return replyOf(await createUser(deps, user, { ...commandContext(request, tenantId, actor), access }, now));
}

@Controller()
export class CreateUserHandler {
  constructor(@Inject(USER_DEPS) private readonly deps: UserDeps) {}

  @CommandHandler(CreateUserV1, Topics.identityCommands)
  create(request: Envelope<DataOf<typeof CreateUserV1>>): Promise<ReplyBody> {
    return createUserRoute(this.deps, request, new Date());
  }
}
