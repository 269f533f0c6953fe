import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClientId } from '@meridian/contracts/identity';
import {
  noAttributes,
  PLATFORM_ADMIN_CLIENT_ID,
  PLATFORM_TENANT,
  SYSTEM_ACCESS,
  SYSTEM_ACTOR,
} from '@meridian/identity/domain';
import { type BootstrapAccounts, ensureTenant, systemContext } from '@meridian/identity/data-access';
import { LOGGER } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { createServiceAccount, type NewServiceAccount } from '../create-service-account/create-service-account.handler';
import { SERVICE_ACCOUNT_DEPS, type ServiceAccountDeps } from '../service-account-deps';

export const BOOTSTRAP_ACCOUNTS = Symbol('meridian.identity.bootstrap-accounts');

/** The client id of a bootstrap tenant's first administrator. */
export const tenantAdminClientId = (tenantId: string): string => `${tenantId}-admin`;

/**
 * At every start, idempotently (stable command ids): the reserved tenant `platform` and its
 * platform administrator (`platform-admin`, IDENTITY_PLATFORM_CLIENT_SECRET, no roles), then for
 * each IDENTITY_BOOTSTRAP_TENANTS tenant the service account `<tenant>-admin` with role admin
 * (IDENTITY_BOOTSTRAP_ADMIN_SECRET). An account that exists keeps its secret.
 */
@Injectable()
export class BootstrapServiceAccounts implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_ACCOUNT_DEPS) private readonly deps: ServiceAccountDeps,
    @Inject(BOOTSTRAP_ACCOUNTS) private readonly settings: BootstrapAccounts,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = new Date();
    await ensureTenant(this.deps.store, PLATFORM_TENANT, now);
    await this.create(
      {
        tenantId: PLATFORM_TENANT,
        clientId: PLATFORM_ADMIN_CLIENT_ID,
        name: 'Platform administrator',
        secret: this.settings.platformClientSecret,
        roles: [],
        attributes: noAttributes,
        platformAdmin: true,
      },
      now,
    );
    for (const tenantId of this.settings.tenants) {
      if (tenantId === PLATFORM_TENANT) continue;
      const clientId = tenantAdminClientId(tenantId);
      if (!ClientId.safeParse(clientId).success) {
        this.logger.warn({ tenantId, clientId }, 'tenant id too long for a bootstrap administrator; none created');
        continue;
      }
      await ensureTenant(this.deps.store, tenantId, now);
      await this.create(
        {
          tenantId,
          clientId,
          name: `${tenantId} administrator`,
          secret: this.settings.tenantAdminSecret,
          roles: ['admin'],
          // The tenant's own administrator sees everything in it: full clearance, no region, all teams.
          attributes: { ...noAttributes, clearance: 4 },
          platformAdmin: false,
        },
        now,
      );
    }
  }

  private async create(account: NewServiceAccount, now: Date): Promise<void> {
    const commandId = stableUuid(`bootstrap-service-account:${account.clientId}`);
    const context = { ...systemContext(commandId, account.tenantId, SYSTEM_ACTOR), access: SYSTEM_ACCESS };
    const { result } = await createServiceAccount(this.deps, account, context, now);
    const where = { tenantId: account.tenantId, clientId: account.clientId };
    if (!result.ok && result.code !== 'SERVICE_ACCOUNT.ALREADY_EXISTS') {
      this.logger.warn({ ...where, code: result.code }, 'bootstrap service account not created');
    } else if (result.ok && !result.duplicate) {
      this.logger.info(where, 'bootstrap service account created');
    }
  }
}
