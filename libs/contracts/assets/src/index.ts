export * from './assets';
export * from './asset-queries';
export * from './asset.errors';
export * from './catalogue';
