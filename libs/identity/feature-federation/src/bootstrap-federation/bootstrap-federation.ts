import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { federationDecider, federationStreamId, SYSTEM_ACCESS, SYSTEM_ACTOR } from '@meridian/identity/domain';
import { ensureTenant, systemContext } from '@meridian/identity/data-access';
import { load } from '@meridian/shared/decider';
import { LOGGER } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { configureFederation } from '../configure-federation/configure-federation.handler';
import type { FederationBootstrap } from '../federation.config';
import { FEDERATION_DEPS, type FederationDeps } from '../federation-deps';

export const BOOTSTRAP_FEDERATION = Symbol('meridian.identity.bootstrap-federation');

/**
 * Applies IDENTITY_FEDERATION at every start (registering the tenants if need be): the
 * environment's settings win over those set through the API since, and unchanged settings append
 * nothing. The command id names the stream version it was decided on, so replicas starting
 * together append one event between them.
 */
@Injectable()
export class BootstrapFederation implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(FEDERATION_DEPS) private readonly deps: FederationDeps,
    @Inject(BOOTSTRAP_FEDERATION) private readonly federations: readonly FederationBootstrap[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = new Date();
    for (const { tenantId, ...settings } of this.federations) {
      await ensureTenant(this.deps.store, tenantId, now);
      const { version } = await load(this.deps.store, federationDecider, federationStreamId(tenantId));
      const commandId = stableUuid(`bootstrap-federation:${tenantId}@${version}`);
      const context = { ...systemContext(commandId, tenantId, SYSTEM_ACTOR), access: SYSTEM_ACCESS };
      const { result } = await configureFederation(this.deps, tenantId, settings, context, now);
      const where = { tenantId, issuer: settings.issuer };
      if (!result.ok) this.logger.warn({ ...where, code: result.code }, 'federation not configured');
      else if (result.events.length) this.logger.info(where, 'federation configured');
    }
  }
}
