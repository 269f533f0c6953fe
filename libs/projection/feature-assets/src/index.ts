export * from './projection-assets.module';
export * from './project-asset-events/asset-events.projector';
