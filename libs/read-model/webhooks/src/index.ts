export * from './migrations/1764460800009-webhooks';
