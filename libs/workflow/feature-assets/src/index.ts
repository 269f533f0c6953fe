export * from './register-asset/register-asset.handler';
export * from './publish-asset-events/asset-integration-events';
export * from './asset-access';
export * from './workflow-assets.module';
