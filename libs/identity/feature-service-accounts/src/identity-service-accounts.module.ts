import { type DynamicModule, Module } from '@nestjs/common';
import type { EventStore } from '@meridian/shared/decider';
import {
  bootstrapAccountsOf,
  type IdentityAccountsConfig,
  IDENTITY_SECRETS_KEY,
  secretsKeyProvider,
} from '@meridian/identity/data-access';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { BOOTSTRAP_ACCOUNTS, BootstrapServiceAccounts } from './bootstrap-service-accounts/bootstrap-service-accounts';
import { CreateServiceAccountHandler } from './create-service-account/create-service-account.handler';
import { DisableServiceAccountHandler } from './disable-service-account/disable-service-account.handler';
import { SERVICE_ACCOUNT_DEPS, type ServiceAccountDeps } from './service-account-deps';
import { SetServiceAccountMembershipHandler } from './set-service-account-membership/set-membership.handler';

/**
 * Service-account commands on `meridian.identity.commands`, one folder per use case, and the
 * bootstrap of the platform administrator and each bootstrap tenant's first administrator.
 */
@Module({})
export class IdentityServiceAccountsModule {
  static forRoot(config: IdentityAccountsConfig): DynamicModule {
    return {
      module: IdentityServiceAccountsModule,
      controllers: [CreateServiceAccountHandler, SetServiceAccountMembershipHandler, DisableServiceAccountHandler],
      providers: [
        secretsKeyProvider,
        {
          provide: SERVICE_ACCOUNT_DEPS,
          inject: [EVENT_STORE, IDENTITY_SECRETS_KEY],
          useFactory: (store: EventStore, secretsKey: Buffer): ServiceAccountDeps => ({ store, secretsKey }),
        },
        { provide: BOOTSTRAP_ACCOUNTS, useValue: bootstrapAccountsOf(config) },
        BootstrapServiceAccounts,
      ],
    };
  }
}
