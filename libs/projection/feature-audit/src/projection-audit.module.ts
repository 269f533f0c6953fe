import { Module } from '@nestjs/common';
import { AuditRecorder } from './record-audit/audit-recorder';

/** The audit trail (read.audit_log) from the workflow and identity event topics. */
@Module({ providers: [AuditRecorder] })
export class ProjectionAuditModule {}
