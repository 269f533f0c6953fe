export * from './projection-audit.module';
export * from './record-audit/audit-recorder';
