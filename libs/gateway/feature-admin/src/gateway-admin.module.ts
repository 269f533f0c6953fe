import { type DynamicModule, Module } from '@nestjs/common';
import { IDENTITY_COMMAND_TOPIC, IdentityCommands, identityCommandTopic } from './admin-commands';
import { CreateServiceAccountController } from './create-service-account/create-service-account.controller';
import './create-service-account/create-service-account.openapi';
import { CreateTenantController } from './create-tenant/create-tenant.controller';
import './create-tenant/create-tenant.openapi';
import { CreateUserController } from './create-user/create-user.controller';
import './create-user/create-user.openapi';
import { DisableServiceAccountController } from './disable-service-account/disable-service-account.controller';
import './disable-service-account/disable-service-account.openapi';
import { DisableUserController } from './disable-user/disable-user.controller';
import './disable-user/disable-user.openapi';
import { GetServiceAccountController } from './get-service-account/get-service-account.controller';
import './get-service-account/get-service-account.openapi';
import { GetUserController } from './get-user/get-user.controller';
import './get-user/get-user.openapi';
import { ListServiceAccountsController } from './list-service-accounts/list-service-accounts.controller';
import './list-service-accounts/list-service-accounts.openapi';
import { ListUsersController } from './list-users/list-users.controller';
import './list-users/list-users.openapi';
import { RotateSigningKeyController } from './rotate-signing-key/rotate-signing-key.controller';
import './rotate-signing-key/rotate-signing-key.openapi';
import { SetServiceAccountMembershipController } from './set-service-account-membership/set-membership.controller';
import './set-service-account-membership/set-membership.openapi';
import { SetUserMembershipController } from './set-user-membership/set-user-membership.controller';
import './set-user-membership/set-user-membership.openapi';

/**
 * The admin API: tenants (platform administrator), users and service accounts with their
 * memberships, signing-key rotation. Writes are commands to identity; reads come from the
 * principal snapshots the gateway already keeps for authentication.
 */
@Module({
  controllers: [
    CreateTenantController,
    CreateUserController,
    ListUsersController,
    GetUserController,
    SetUserMembershipController,
    DisableUserController,
    CreateServiceAccountController,
    ListServiceAccountsController,
    GetServiceAccountController,
    SetServiceAccountMembershipController,
    DisableServiceAccountController,
    RotateSigningKeyController,
  ],
  providers: [identityCommandTopic(), IdentityCommands],
})
export class GatewayAdminModule {
  /** The module with identity's commands sent to `topic` instead (tests standing in for identity). */
  static withCommandTopic(topic: string): DynamicModule {
    return { module: GatewayAdminModule, providers: [{ provide: IDENTITY_COMMAND_TOPIC, useValue: topic }] };
  }
}
