export * from './problem';
export * from './problem.filter';
export * from './media-types';
export * from './paging';
export * from './openapi';
export * from './tenant';
export * from './query-params';
export * from './refusals';
