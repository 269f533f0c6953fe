import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Topics, topicDefinitions } from '@meridian/contracts/core';
import { AssetDirectory, type GatewaySettings, RateLimiter, ServiceBus } from '@meridian/gateway/data-access';
import type { MessageBus } from '@meridian/shared/messaging';
import { metricsFor, parseExposition, valueOf } from '@meridian/shared/metrics';
import { createTestBus } from '@meridian/shared/testing';
import { IngestTelemetryController } from './ingest-telemetry.controller';

const logger = pino({ level: 'silent' });
const settings = (burst: number): GatewaySettings =>
  ({
    maxFixesPerRequest: 10,
    maxFixAgeMs: 24 * 3600_000,
    maxFixFutureSkewMs: 60_000,
    ingestRateFixesPerSecond: 1,
    ingestBurstFixes: burst,
    instanceId: `ingest-metrics-${process.pid}`,
  }) as GatewaySettings;

/** Response headers the controller sets (Retry-After); the metrics are what this test is about. */
const reply = { header: () => reply } as unknown as FastifyReply;

/**
 * The gateway's ingest counters over real Kafka and Redis: fixes accepted (acknowledged by Kafka)
 * and refused by reason, counted per request.
 */
describe('telemetry ingest metrics (real Kafka and Redis)', () => {
  let bus: MessageBus;
  let redis: Redis;
  const metrics = metricsFor(`gateway-ingest-${randomUUID().slice(0, 8)}`);
  const controller = (burst: number): IngestTelemetryController => {
    const serviceBus = new ServiceBus(bus, logger, settings(burst));
    return new IngestTelemetryController(
      serviceBus,
      new AssetDirectory(redis, serviceBus),
      new RateLimiter(redis, logger),
      settings(burst),
      metrics,
    );
  };

  beforeAll(async () => {
    bus = createTestBus('ingest-metrics');
    await bus.ensureTopics(topicDefinitions.filter((t) => t.name === Topics.telemetryPositions));
    redis = new Redis(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  });

  afterAll(async () => {
    await bus?.close();
    redis?.disconnect();
  });

  it('counts accepted fixes and refusals by reason', async () => {
    const tenant = `im-${randomUUID().slice(0, 8)}`;
    const assetId = randomUUID();
    const directory = new AssetDirectory(redis, new ServiceBus(bus, logger, settings(100)));
    await directory.remember(tenant, assetId);
    const fix = (lon: number) => ({ assetId, ts: new Date().toISOString(), lon, lat: 47.37 });

    const ingest = controller(100);
    const result = await ingest.ingest(tenant, { fixes: [fix(8.5), fix(8.6), fix(500), { assetId: 'x' }] }, reply);
    expect(result.accepted).toBe(2);
    await expect(ingest.ingest(tenant, { fixes: Array.from({ length: 11 }, () => fix(8.5)) }, reply)).rejects.toThrow();
    // A burst of 3 fixes: a request of 4 is refused whole (429).
    await expect(
      controller(3).ingest(`${tenant}-b`, { fixes: [1, 2, 3, 4].map(() => fix(8.5)) }, reply),
    ).rejects.toThrow();

    const samples = parseExposition((await metrics.scrape()).body);
    const refused = (reason: string): number | undefined =>
      valueOf(samples, 'meridian_telemetry_fixes_refused_total', { reason });
    expect(valueOf(samples, 'meridian_telemetry_fixes_accepted_total')).toBe(2);
    expect(refused('invalid')).toBe(2);
    expect(refused('too_many')).toBe(11);
    expect(refused('rate_limited')).toBe(4);
    expect(refused('unknown_asset')).toBe(0);
  });
});
