export * from './assets';
export * from './asset-queries';
export * from './position-queries';
export * from './asset.errors';
export * from './catalogue';
