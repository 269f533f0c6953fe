import { Module } from '@nestjs/common';
import { exportStorageOf } from '@meridian/shared/export-storage';
import { CONFIG } from '@meridian/shared/service-kit';
import { EXPORT_STORAGE, ExportsController } from './exports.controller';
import './exports.openapi';

/** `/v1/exports`: jobs run by geo-query, files streamed from the shared storage (docs/exports.md). */
@Module({
  controllers: [ExportsController],
  providers: [
    {
      provide: EXPORT_STORAGE,
      useFactory: (config: unknown) => exportStorageOf(config),
      inject: [CONFIG],
    },
  ],
})
export class GatewayExportsModule {}
