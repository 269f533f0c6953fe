export * from './geo-query-assets.module';
export * from './get-asset/get-asset.handler';
