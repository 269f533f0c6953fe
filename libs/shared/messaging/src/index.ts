export * from './bus';
export * from './consumer';
export * from './request-reply';
