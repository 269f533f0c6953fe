import { type DynamicModule, Module } from '@nestjs/common';
import type { EventStore } from '@meridian/shared/decider';
import {
  bootstrapAccountsOf,
  type IdentityAccountsConfig,
  IDENTITY_SECRETS_KEY,
  secretsKeyProvider,
} from '@meridian/identity/data-access';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { BOOTSTRAP_USERS, BootstrapUsers } from './bootstrap-users/bootstrap-users';
import { CreateUserHandler } from './create-user/create-user.handler';
import { DisableUserHandler } from './disable-user/disable-user.handler';
import { FederatedLoginHandler } from './federated-login/federated-login.handler';
import { SetUserMembershipHandler } from './set-user-membership/set-user-membership.handler';
import { USER_DEPS, type UserDeps } from './user-deps';

/** User commands on `meridian.identity.commands`, one folder per use case, and the demo users' bootstrap. */
@Module({})
export class IdentityUsersModule {
  static forRoot(config: IdentityAccountsConfig): DynamicModule {
    const { users } = bootstrapAccountsOf(config);
    return {
      module: IdentityUsersModule,
      controllers: [CreateUserHandler, SetUserMembershipHandler, DisableUserHandler, FederatedLoginHandler],
      providers: [
        secretsKeyProvider,
        {
          provide: USER_DEPS,
          inject: [EVENT_STORE, IDENTITY_SECRETS_KEY],
          useFactory: (store: EventStore, secretsKey: Buffer): UserDeps => ({ store, secretsKey }),
        },
        { provide: BOOTSTRAP_USERS, useValue: users },
        BootstrapUsers,
      ],
    };
  }
}
