export * from './config';
export * from './logger';
export * from './tokens';
export * from './core.module';
export * from './health.controller';
export * from './bootstrap';
export * from './event-sourcing.module';
