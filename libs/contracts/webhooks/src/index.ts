export * from './webhooks';
export * from './webhook.errors';
export * from './catalogue';
