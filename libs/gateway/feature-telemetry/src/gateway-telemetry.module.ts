import { Module } from '@nestjs/common';
import { IngestTelemetryController } from './ingest-telemetry/ingest-telemetry.controller';
import './ingest-telemetry/ingest-telemetry.openapi';

/** `/v1/telemetry`: position fixes in, as JSON or NDJSON, onto the telemetry topic. */
@Module({ controllers: [IngestTelemetryController] })
export class GatewayTelemetryModule {}
