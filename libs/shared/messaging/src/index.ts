export * from './bus';
export * from './consumer';
export * from './request-reply';
export * from './outbox-publisher';
export * from './serve';
export * from './dead-letters';
export * from './failures';
export * from './reply-topics';
export { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_SEND_TIMEOUT_MS, isUnknownTopic } from './send-queue';
export * from './nest';
// The decorator wins over consumer.ts's BatchHandler function type of the same name.
export { BatchHandler } from './nest';
