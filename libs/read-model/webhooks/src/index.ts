export * from './migrations/1764460800009-webhooks';
export * from './webhook-rows';
export * from './subscriptions.queries';
export * from './deliveries.queries';
