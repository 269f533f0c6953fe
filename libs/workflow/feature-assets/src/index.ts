export * from './register-asset';
export * from './asset-integration';
export * from './workflow-assets.module';
