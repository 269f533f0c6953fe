export * from './audit-log';
export * from './migrations/1764460800007-audit';
