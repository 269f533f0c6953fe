export * from './asset/asset.events';
export * from './asset/asset.state';
export * from './asset/asset.commands';
export * from './asset/asset.decide';
export * from './asset/asset.vocabulary';
