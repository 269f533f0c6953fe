export * from './gateway-webhooks.module';
export * from './webhooks.controller';
