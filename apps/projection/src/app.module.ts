import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ProjectionAssetsModule } from '@meridian/projection/feature-assets';
import { ProjectionAuditModule } from '@meridian/projection/feature-audit';
import { ProjectionMissionsModule } from '@meridian/projection/feature-missions';
import { ProjectionTelemetryModule } from '@meridian/projection/feature-telemetry';
import { ProjectionWebhooksModule } from '@meridian/projection/feature-webhooks';
import { ProjectionZonesModule, toGeofenceIntegrationEvent } from '@meridian/projection/feature-zones';
import { ReadModelModule } from '@meridian/read-model/data-source';
import { CoreModule, EventSourcingModule, secretsKeyOf } from '@meridian/shared/service-kit';
import { Topics } from '@meridian/contracts/core';
import type { ProjectionConfig } from './config';

@Module({})
export class ProjectionModule {
  static forRoot(config: ProjectionConfig, logger: Logger): DynamicModule {
    return {
      module: ProjectionModule,
      imports: [
        CoreModule.forRoot({ service: 'projection', config, logger }),
        // projection owns the read schema: it runs the read-model migrations at start.
        ReadModelModule.forRoot({ migrate: true }),
        // Geofence transitions are derived facts: stored as events (schema `geofence`, one stream per
        // asset) in the transaction that stores their cause, published by the outbox relay.
        EventSourcingModule.forRoot({
          schema: 'geofence',
          topic: Topics.projectionEvents,
          map: toGeofenceIntegrationEvent,
        }),
        ProjectionAssetsModule,
        ProjectionAuditModule,
        ProjectionMissionsModule,
        ProjectionZonesModule.forRoot({
          validityIntervalMs: config.PROJECTION_ZONE_VALIDITY_INTERVAL_MS,
          index: config.PROJECTION_GEOFENCE_INDEX,
        }),
        ProjectionTelemetryModule.forRoot({
          aheadDays: config.PROJECTION_PARTITIONS_AHEAD_DAYS,
          behindDays: 1,
          intervalMs: 60 * 60 * 1000,
          cellResolutions: config.H3_RESOLUTIONS,
          cellCompactionIntervalMs: config.PROJECTION_CELL_COMPACTION_INTERVAL_MS,
        }),
        ProjectionWebhooksModule.forRoot({
          redisUrl: config.REDIS_URL,
          secretsKey: secretsKeyOf(config),
          redisPrefix: config.WEBHOOKS_REDIS_PREFIX,
          queueName: config.WEBHOOKS_QUEUE,
          concurrency: config.WEBHOOKS_CONCURRENCY,
          endpointConcurrency: config.WEBHOOKS_ENDPOINT_CONCURRENCY,
          timeoutMs: config.WEBHOOKS_TIMEOUT_MS,
          retryScheduleMs: config.WEBHOOKS_RETRY_SCHEDULE_MS,
          reconcileMs: config.WEBHOOKS_RECONCILE_MS,
          retentionDays: config.WEBHOOKS_RETENTION_DAYS,
          maxPerTenant: config.WEBHOOKS_MAX_PER_TENANT,
          secretGraceMs: config.WEBHOOKS_SECRET_GRACE_MS,
          allowLoopback: config.WEBHOOKS_ALLOW_LOOPBACK,
        }),
      ],
    };
  }
}
