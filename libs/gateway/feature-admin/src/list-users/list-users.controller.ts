import { Controller, Get, Inject, Query } from '@nestjs/common';
import { GATEWAY_SETTINGS, type GatewaySettings, PrincipalDirectory } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { type Link, Tenant } from '@meridian/gateway/util-http';
import { listPrincipals, userReads, type UserView } from '../principal-reads';

export interface UserList {
  readonly users: readonly UserView[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

@Controller('v1/users')
export class ListUsersController {
  constructor(
    private readonly directory: PrincipalDirectory,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** One page of the tenant's users, disabled ones included, in id order. */
  @Get()
  @RequirePermission('identity:read')
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<UserList> {
    const page = await listPrincipals(this.directory, this.settings.publicUrl, tenantId, userReads, query);
    return { users: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
