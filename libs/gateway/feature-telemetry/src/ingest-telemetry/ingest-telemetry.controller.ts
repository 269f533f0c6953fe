import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Optional, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ErrorCodes, Topics, toWire, type WireMessage } from '@meridian/contracts/core';
import { AssetErrors } from '@meridian/contracts/assets';
import { type Fix, PositionBatchReportedV1, TelemetryErrors } from '@meridian/contracts/telemetry';
import {
  AssetDirectory,
  GATEWAY_SETTINGS,
  type GatewaySettings,
  RateLimiter,
  ServiceBus,
} from '@meridian/gateway/data-access';
import {
  Consumes,
  invalid,
  JSON_TYPE,
  NDJSON_TYPE,
  parseOr400,
  problemFromCode,
  Tenant,
} from '@meridian/gateway/util-http';
import { METRICS, type ServiceMetrics } from '@meridian/shared/metrics';
import { logContext } from '@meridian/shared/service-kit';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { type FixRejection, isRejection, validateFix } from './fix-validation';
import { groupByPartition } from './fix-messages';
import { NdjsonFixes } from './ndjson';

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
    private readonly limiter: RateLimiter,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Optional() @Inject(METRICS) private readonly metrics?: ServiceMetrics,
  ) {}

  /**
   * 202 once every accepted fix is acknowledged by Kafka (acks=all): accepted means durable.
   * Invalid fixes and fixes of unknown assets are listed in `rejected` by index. NDJSON arrives
   * parsed (streamed by the gateway's NDJSON parser, which stops at the fix limit); bodies may be
   * gzip-encoded (decoded before parsing).
   */
  @Post()
  @RequirePermission('telemetry:ingest')
  @HttpCode(202)
  @Consumes(JSON_TYPE, NDJSON_TYPE)
  async ingest(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestResult> {
    const { items, malformed } =
      body instanceof NdjsonFixes ? body : { items: parseOr400(TelemetryBody, body).fixes, malformed: [] };
    if (items.length > this.settings.maxFixesPerRequest) {
      this.metrics?.telemetry.refused.too_many.inc(items.length);
      throw problemFromCode(
        TelemetryErrors.fixTooManyFixes,
        `at most ${this.settings.maxFixesPerRequest} fixes per request`,
      );
    }
    if (items.length === 0) throw invalid(ErrorCodes.requestInvalid, 'no fixes in the request');
    await this.admit(tenantId, items.length, reply);

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
    // Counted per request, not per fix: the ingest path runs at tens of thousands of fixes a second.
    const refused = this.metrics?.telemetry.refused;
    refused?.invalid.inc(rejected.length - (candidates.length - accepted.length));
    refused?.unknown_asset.inc(candidates.length - accepted.length);
    this.metrics?.telemetry.accepted.inc(accepted.length);
    return { accepted: accepted.length, rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  /** The tenant's ingest limit counts fixes, valid or not: each costs the gateway the same to read. */
  private async admit(tenantId: string, fixes: number, reply: FastifyReply): Promise<void> {
    const { ingestRateFixesPerSecond: ratePerSecond, ingestBurstFixes: burst } = this.settings;
    const decision = await this.limiter.take(`ingest:${tenantId}`, fixes, { ratePerSecond, burst });
    if (decision.allowed) return;
    this.metrics?.telemetry.refused.rate_limited.inc(fixes);
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    throw problemFromCode(
      ErrorCodes.rateLimited,
      `tenant ${tenantId} may send ${ratePerSecond} fixes/s (bursts of ${burst}); ` +
        `retry these ${fixes} fixes in ${decision.retryAfterSeconds} s`,
    );
  }

  /**
   * One position-batch message per partition the fixes map to (cut at MAX_FIXES_PER_MESSAGE):
   * a request of 1,000 fixes is a dozen Kafka records, not a thousand.
   */
  private async publish(tenantId: string, fixes: readonly Fix[]): Promise<void> {
    if (fixes.length === 0) return;
    const correlationId = logContext.getStore()?.correlationId ?? randomUUID();
    const time = new Date().toISOString();
    const { type, dataschema } = PositionBatchReportedV1;
    try {
      const groups = groupByPartition(fixes, await this.bus.partitionerFor(Topics.telemetryPositions));
      const messages: WireMessage[] = groups.map((g) =>
        toWire(
          {
            id: randomUUID(),
            type,
            source: '/meridian/gateway',
            time,
            dataschema,
            data: { fixes: g.fixes },
            correlationId,
            tenantId,
          },
          g.key,
        ),
      );
      await this.bus.publish(Topics.telemetryPositions, messages);
    } catch (err) {
      throw problemFromCode(ErrorCodes.upstreamUnavailable, `telemetry could not be stored: ${(err as Error).message}`);
    }
  }
}
