import { Module } from '@nestjs/common';
import { ListAuditController } from './list-audit/list-audit.controller';
import './list-audit/list-audit.openapi';

/** `/v1/audit`: the tenant's audit trail. */
@Module({ controllers: [ListAuditController] })
export class GatewayAuditModule {}
