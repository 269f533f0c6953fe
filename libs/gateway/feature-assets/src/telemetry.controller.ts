import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ErrorCodes, type Fix, PositionReportedV1, Topics, toWire, type WireMessage } from '@meridian/contracts';
import { logContext } from '@meridian/shared/service-kit';
import { z } from 'zod';
import { AssetDirectory } from './asset-directory';
import { type FixRejection, isRejection, validateFix } from './fix-validation';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { invalid, parseOr400, ProblemException } from './problem';
import { ServiceBus } from './service-bus';
import { Tenant } from './tenant';

export const TelemetryBody = z.strictObject({ fixes: z.array(z.unknown()) });

/** Each line one fix; a line that is not JSON is rejected on its own. */
function parseNdjson(text: string): { items: unknown[]; malformed: FixRejection[] } {
  const items: unknown[] = [];
  const malformed: FixRejection[] = [];
  text.split('\n').forEach((line, lineNo) => {
    if (line.trim() === '') return; // blank lines are not fixes; `index` counts fixes
    const index = items.length;
    try {
      items.push(JSON.parse(line));
    } catch {
      items.push(undefined);
      malformed.push({ index, code: ErrorCodes.requestMalformedJson, detail: `line ${lineNo + 1} is not JSON` });
    }
  });
  return { items, malformed };
}

@Controller('v1/telemetry')
export class TelemetryController {
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
  async ingest(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<{ accepted: number; rejected: FixRejection[] }> {
    const { items, malformed } = contentType?.startsWith('application/x-ndjson')
      ? parseNdjson(typeof body === 'string' ? body : '')
      : { items: parseOr400(TelemetryBody, body).fixes, malformed: [] };
    if (items.length > this.settings.maxFixesPerRequest) {
      throw new ProblemException(413, ErrorCodes.fixTooManyFixes, 'telemetry: too many fixes', `at most ${this.settings.maxFixesPerRequest} fixes per request`);
    }
    if (items.length === 0) throw invalid(ErrorCodes.requestInvalid, 'no fixes in the request');

    const window = { now: Date.now(), maxAgeMs: this.settings.maxFixAgeMs, maxFutureSkewMs: this.settings.maxFixFutureSkewMs };
    const bad = new Set(malformed.map((m) => m.index));
    const rejected: FixRejection[] = [...malformed];
    const candidates: { index: number; fix: Fix }[] = [];
    items.forEach((item, index) => {
      if (bad.has(index)) return;
      const v = validateFix(item, index, window);
      if (isRejection(v)) rejected.push(v);
      else candidates.push({ index, fix: v });
    });

    const known = await this.directory.known(tenantId, candidates.map((c) => c.fix.assetId));
    const accepted: Fix[] = [];
    for (const c of candidates) {
      if (known.has(c.fix.assetId)) accepted.push(c.fix);
      else rejected.push({ index: c.index, code: ErrorCodes.assetUnknown, detail: `asset ${c.fix.assetId} is not registered in this tenant` });
    }
    await this.publish(tenantId, accepted);
    return { accepted: accepted.length, rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  private async publish(tenantId: string, fixes: readonly Fix[]): Promise<void> {
    const correlationId = logContext.getStore()?.correlationId ?? randomUUID();
    const time = new Date().toISOString();
    const messages: WireMessage[] = fixes.map((fix) =>
      toWire(
        { id: randomUUID(), type: PositionReportedV1.type, source: '/meridian/gateway', time, dataschema: PositionReportedV1.dataschema, data: fix, correlationId, tenantId },
        fix.assetId,
      ),
    );
    try {
      await this.bus.publish(Topics.telemetryPositions, messages);
    } catch (err) {
      throw new ProblemException(503, ErrorCodes.upstreamUnavailable, 'upstream: unavailable', `telemetry could not be stored: ${(err as Error).message}`);
    }
  }
}
