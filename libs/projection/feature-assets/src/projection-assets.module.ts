import { Module } from '@nestjs/common';
import { AssetEventsProjector } from './project-asset-events/asset-events.projector';

/** asset_latest from `meridian.workflow.events`. */
@Module({ controllers: [AssetEventsProjector] })
export class ProjectionAssetsModule {}
