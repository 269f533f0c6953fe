import { Controller, Get, Inject, Query } from '@nestjs/common';
import { GATEWAY_SETTINGS, type GatewaySettings, PrincipalDirectory } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { type Link, Tenant } from '@meridian/gateway/util-http';
import { listPrincipals, serviceAccountReads, type ServiceAccountView } from '../principal-reads';

export interface ServiceAccountList {
  readonly serviceAccounts: readonly ServiceAccountView[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

@Controller('v1/service-accounts')
export class ListServiceAccountsController {
  constructor(
    private readonly directory: PrincipalDirectory,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** One page of the tenant's service accounts, disabled ones included, in client id order. */
  @Get()
  @RequirePermission('identity:read')
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<ServiceAccountList> {
    const page = await listPrincipals(this.directory, this.settings.publicUrl, tenantId, serviceAccountReads, query);
    return { serviceAccounts: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
