import { Module } from '@nestjs/common';
import { RegisterAssetHandler } from './register-asset/register-asset.handler';

/** Asset commands on `meridian.workflow.commands`, one folder per use case. */
@Module({ controllers: [RegisterAssetHandler] })
export class WorkflowAssetsModule {}
