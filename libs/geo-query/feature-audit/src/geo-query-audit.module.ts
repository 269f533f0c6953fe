import { Module } from '@nestjs/common';
import { ListAuditHandler } from './list-audit/list-audit.handler';

/** GET /v1/audit's query: read.audit_log, projected from the workflow and identity events. */
@Module({ controllers: [ListAuditHandler] })
export class GeoQueryAuditModule {}
