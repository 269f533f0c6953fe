import { Module } from '@nestjs/common';
import './admin.openapi';
import { CreateTenantController } from './create-tenant/create-tenant.controller';
import './create-tenant/create-tenant.openapi';
import { ServiceAccountsController } from './service-accounts/service-accounts.controller';
import { RotateKeysController } from './signing-keys/rotate-keys.controller';
import { UsersController } from './users/users.controller';

/** The admin API: tenants, users, service accounts and their memberships, signing keys. */
@Module({ controllers: [CreateTenantController, UsersController, ServiceAccountsController, RotateKeysController] })
export class GatewayAdminModule {}
