import { Controller, Get, Param } from '@nestjs/common';
import { ErrorCodes } from '@meridian/contracts/core';
import { PrincipalDirectory } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { ClientIdParam } from '../membership';
import { getPrincipal, serviceAccountReads, type ServiceAccountView } from '../principal-reads';

@Controller('v1/service-accounts')
export class GetServiceAccountController {
  constructor(private readonly directory: PrincipalDirectory) {}

  /** A service account of the tenant (404 SERVICE_ACCOUNT.NOT_FOUND for another tenant's), never its secret. */
  @Get(':clientId')
  @RequirePermission('identity:read')
  get(@Tenant() tenantId: string, @Param('clientId') clientId: string): ServiceAccountView {
    const id = parseOr400(ClientIdParam, clientId, ErrorCodes.requestInvalid, 'clientId');
    return getPrincipal(this.directory, tenantId, serviceAccountReads, id);
  }
}
