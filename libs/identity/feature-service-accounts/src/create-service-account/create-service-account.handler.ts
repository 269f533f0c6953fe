import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { CreateServiceAccountV1, requireTenant } from '@meridian/contracts/identity';
import {
  type AdminAccess,
  type CreateServiceAccount,
  type MemberAttributes,
  type PrincipalRole,
  serviceAccountDecider,
  serviceAccountStreamId,
} from '@meridian/identity/domain';
import {
  commandContext,
  type CommandContext,
  identityAdminActor,
  openSealedInput,
  replyOf,
  requireActiveTenant,
  type StreamOutcome,
} from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { sealSecret } from '@meridian/shared/util';
import { SERVICE_ACCOUNT_DEPS, type ServiceAccountDeps } from '../service-account-deps';

/** A service account to create; its secret in clear (opened from the command, or from the bootstrap's config). */
export interface NewServiceAccount {
  readonly tenantId: string;
  readonly clientId: string;
  readonly name: string;
  readonly secret: string;
  readonly roles: readonly PrincipalRole[];
  readonly attributes: MemberAttributes;
  readonly platformAdmin: boolean;
}

/**
 * The create path of the command and of the bootstrap: the tenant must exist; the secret is sealed
 * afresh (the OIDC provider opens it to compare) and the account created.
 */
export async function createServiceAccount(
  deps: ServiceAccountDeps,
  account: NewServiceAccount,
  context: CommandContext & { readonly access: AdminAccess },
  now: Date,
): Promise<StreamOutcome> {
  await requireActiveTenant(deps.store, account.tenantId);
  const streamId = serviceAccountStreamId(account.clientId);
  const command: CreateServiceAccount = {
    type: 'CreateServiceAccount',
    data: {
      ...account,
      secret: sealSecret(deps.secretsKey, account.secret),
      actor: context.actor,
      access: context.access,
      now: now.toISOString(),
    },
  };
  const options = { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage };
  return { streamId, result: await handle(deps.store, serviceAccountDecider, streamId, command, options) };
}

/** meridian.identity.service-account.create.v1 → open (and check) the sealed secret → create → reply. */
export async function createServiceAccountRoute(
  deps: ServiceAccountDeps,
  request: Envelope,
  now: Date,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const data = parseData(CreateServiceAccountV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const account: NewServiceAccount = {
    tenantId,
    clientId: data.clientId,
    name: data.name,
    secret: openSealedInput(deps.secretsKey, data.secret, 'client secret'),
    roles: data.roles,
    attributes: data.attributes,
    platformAdmin: false,
  };
  const context = { ...commandContext(request, tenantId, actor), access };
  return replyOf(await createServiceAccount(deps, account, context, now));
}

@Controller()
export class CreateServiceAccountHandler {
  constructor(@Inject(SERVICE_ACCOUNT_DEPS) private readonly deps: ServiceAccountDeps) {}

  @CommandHandler(CreateServiceAccountV1, Topics.identityCommands)
  create(request: Envelope<DataOf<typeof CreateServiceAccountV1>>): Promise<ReplyBody> {
    return createServiceAccountRoute(this.deps, request, new Date());
  }
}
