import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, parseData, Topics } from '@meridian/contracts/core';
import { ConfigureFederationV1, requireTenant } from '@meridian/contracts/identity';
import {
  type AdminAccess,
  federationDecider,
  type FederationSettings,
  type FederationState,
  federationStreamId,
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
import { handle, load } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { openSecret, sealSecret } from '@meridian/shared/util';
import { FEDERATION_DEPS, type FederationDeps } from '../federation-deps';

/** Settings to apply, the client secret in clear (opened from the command, or from the bootstrap's config). */
export type NewFederationSettings = FederationSettings;

/** The stored sealed secret when it opens to the same value: re-applying unchanged settings decides nothing. */
function sealedFor(key: Buffer, state: FederationState, plain: string): string {
  if (state.status === 'configured') {
    try {
      if (openSecret(key, state.clientSecret) === plain) return state.clientSecret;
    } catch {
      // Sealed under another SECRETS_KEY: seal the new one.
    }
  }
  return sealSecret(key, plain);
}

/** The configure path of the command and of the bootstrap: the tenant must exist, the secret is sealed. */
export async function configureFederation(
  deps: FederationDeps,
  tenantId: string,
  settings: NewFederationSettings,
  context: CommandContext & { readonly access: AdminAccess },
  now: Date,
): Promise<StreamOutcome> {
  const streamId = federationStreamId(tenantId);
  await requireActiveTenant(deps.store, tenantId);
  const { state } = await load(deps.store, federationDecider, streamId);
  const clientSecret = sealedFor(deps.secretsKey, state, settings.clientSecret);
  const result = await handle(
    deps.store,
    federationDecider,
    streamId,
    {
      type: 'ConfigureFederation',
      data: {
        ...settings,
        clientSecret,
        tenantId,
        actor: context.actor,
        access: context.access,
        now: now.toISOString(),
      },
    },
    { commandId: context.commandId, metadata: context.metadata, onStage: markCommandStage },
  );
  return { streamId, result };
}

/** meridian.identity.federation.configure.v1 → open the sealed client secret → configureFederation → reply. */
export async function configureFederationRoute(deps: FederationDeps, request: Envelope, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const data = parseData(ConfigureFederationV1, request);
  const { actor, access } = identityAdminActor(request, now);
  const settings: NewFederationSettings = {
    ...data,
    clientSecret: openSealedInput(deps.secretsKey, data.clientSecret, 'client secret'),
  };
  const context = { ...commandContext(request, tenantId, actor), access };
  return replyOf(await configureFederation(deps, tenantId, settings, context, now));
}

@Controller()
export class ConfigureFederationHandler {
  constructor(@Inject(FEDERATION_DEPS) private readonly deps: FederationDeps) {}

  @CommandHandler(ConfigureFederationV1, Topics.identityCommands)
  configure(request: Envelope<DataOf<typeof ConfigureFederationV1>>): Promise<ReplyBody> {
    return configureFederationRoute(this.deps, request, new Date());
  }
}
