import { Controller, Get, Param } from '@nestjs/common';
import { ErrorCodes } from '@meridian/contracts/core';
import { PrincipalDirectory } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { UserIdParam } from '../membership';
import { getPrincipal, userReads, type UserView } from '../principal-reads';

@Controller('v1/users')
export class GetUserController {
  constructor(private readonly directory: PrincipalDirectory) {}

  /** A user of the tenant (404 USER.NOT_FOUND for another tenant's), with its roles and attributes. */
  @Get(':id')
  @RequirePermission('identity:read')
  get(@Tenant() tenantId: string, @Param('id') id: string): UserView {
    const userId = parseOr400(UserIdParam, id, ErrorCodes.requestInvalid, 'id');
    return getPrincipal(this.directory, tenantId, userReads, userId);
  }
}
