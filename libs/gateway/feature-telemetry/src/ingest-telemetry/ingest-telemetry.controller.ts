import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { z } from 'zod';
import { ErrorCodes, Topics, toWire, type WireMessage } from '@meridian/contracts/core';
import { AssetErrors } from '@meridian/contracts/assets';
import { type Fix, PositionReportedV1, TelemetryErrors } from '@meridian/contracts/telemetry';
import { AssetDirectory, GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import {
  Consumes,
  invalid,
  JSON_TYPE,
  NDJSON_TYPE,
  parseOr400,
  problemFromCode,
  Tenant,
} from '@meridian/gateway/util-http';
import { logContext } from '@meridian/shared/service-kit';
import { type FixRejection, isRejection, validateFix } from './fix-validation';
import { parseNdjson } from './ndjson';

export const TelemetryBody = z.strictObject({ fixes: z.array(z.unknown()) });

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: readonly FixRejection[];
}

@Controller('v1/telemetry')
export class IngestTelemetryController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly directory: AssetDirectory,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /**
   * 202 once every accepted fix is acknowledged by Kafka (acks=all): accepted means durable.
   * Invalid fixes and fixes of unknown assets are listed in `rejected` by index.
   */
  @Post()
  @HttpCode(202)
  @Consumes(JSON_TYPE, NDJSON_TYPE)
  async ingest(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<IngestResult> {
    const { items, malformed } = contentType?.startsWith(NDJSON_TYPE)
      ? parseNdjson(typeof body === 'string' ? body : '')
      : { items: parseOr400(TelemetryBody, body).fixes, malformed: [] };
    if (items.length > this.settings.maxFixesPerRequest) {
      throw problemFromCode(
        TelemetryErrors.fixTooManyFixes,
        `at most ${this.settings.maxFixesPerRequest} fixes per request`,
      );
    }
    if (items.length === 0) throw invalid(ErrorCodes.requestInvalid, 'no fixes in the request');

    const window = {
      now: Date.now(),
      maxAgeMs: this.settings.maxFixAgeMs,
      maxFutureSkewMs: this.settings.maxFixFutureSkewMs,
    };
    const bad = new Set(malformed.map((m) => m.index));
    const rejected: FixRejection[] = [...malformed];
    const candidates: { index: number; fix: Fix }[] = [];
    items.forEach((item, index) => {
      if (bad.has(index)) return;
      const v = validateFix(item, index, window);
      if (isRejection(v)) rejected.push(v);
      else candidates.push({ index, fix: v });
    });

    const known = await this.directory.known(
      tenantId,
      candidates.map((c) => c.fix.assetId),
    );
    const accepted: Fix[] = [];
    for (const c of candidates) {
      if (known.has(c.fix.assetId)) accepted.push(c.fix);
      else {
        const detail = `asset ${c.fix.assetId} is not registered in this tenant`;
        rejected.push({ index: c.index, code: AssetErrors.assetUnknown, detail });
      }
    }
    await this.publish(tenantId, accepted);
    return { accepted: accepted.length, rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  private async publish(tenantId: string, fixes: readonly Fix[]): Promise<void> {
    const correlationId = logContext.getStore()?.correlationId ?? randomUUID();
    const time = new Date().toISOString();
    const { type, dataschema } = PositionReportedV1;
    const messages: WireMessage[] = fixes.map((fix) =>
      toWire(
        { id: randomUUID(), type, source: '/meridian/gateway', time, dataschema, data: fix, correlationId, tenantId },
        fix.assetId,
      ),
    );
    try {
      await this.bus.publish(Topics.telemetryPositions, messages);
    } catch (err) {
      throw problemFromCode(ErrorCodes.upstreamUnavailable, `telemetry could not be stored: ${(err as Error).message}`);
    }
  }
}
