import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { eventStoreMigrations, migrate, OutboxRelay, PgEventStore } from '@meridian/shared/event-store';
import type { MessageBus } from '@meridian/shared/messaging';
import { createTestBus, eventually, freshSchema, testDatabaseUrl } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { createDatabasePool } from './database-pool';
import { HealthController, type RelayLagProbe } from './health.controller';
import { BUS, CONFIG, PG_POOL, REDIS, RELAY_LAG } from './tokens';

const MAX_LAG_MS = 300;

/**
 * Readiness of a service with an outbox, over real PostgreSQL, Redis and Kafka: the relay's
 * publish fails (the broker is "away" for it) until its oldest waiting event is older than
 * RELAY_MAX_LAG_MS, then recovers.
 */
describe('GET /health/ready with an outbox relay', () => {
  let pool: Pool;
  let redis: Redis;
  let bus: MessageBus;
  let app: NestFastifyApplication;
  let relay: OutboxRelay;
  let store: PgEventStore;
  let dropSchema: () => Promise<void>;
  let publishing = false;

  const ready = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/health/ready' });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };

  beforeAll(async () => {
    pool = createDatabasePool({
      url: testDatabaseUrl(),
      max: 4,
      applicationName: 'meridian-health-test',
      idleInTransactionTimeoutMs: 60_000,
      log: silentLog,
    });
    const fresh = freshSchema(pool, 'health');
    dropSchema = fresh.cleanup;
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    store = new PgEventStore(pool, fresh.schema);
    redis = new Redis(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
    bus = createTestBus(`health-${randomUUID().slice(0, 8)}`);
    relay = new OutboxRelay(
      pool,
      store,
      async () => {
        if (!publishing) throw new Error('broker unavailable');
      },
      { name: 'health', idleDelayMs: 10 },
    );
    const lag: RelayLagProbe = () => relay.lag();

    @Module({
      controllers: [HealthController],
      providers: [
        { provide: PG_POOL, useValue: pool },
        { provide: REDIS, useValue: redis },
        { provide: BUS, useValue: bus },
        { provide: CONFIG, useValue: { RELAY_MAX_LAG_MS: MAX_LAG_MS } },
        { provide: RELAY_LAG, useValue: lag },
      ],
    })
    class HealthTestModule {}

    app = await NestFactory.create<NestFastifyApplication>(HealthTestModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await relay?.stop();
    await app?.close();
    await bus?.close();
    redis?.disconnect();
    await dropSchema?.();
    await pool?.end();
  });

  it('is ready with nothing to publish, reports the backlog, degrades to 503 past the limit and recovers', async () => {
    const start = await ready();
    expect(start).toMatchObject({
      status: 200,
      body: { status: 'ready', postgres: 'up', redis: 'up', kafka: 'up', kafkaProducer: 'up', relay: 'up' },
    });
    expect(start.body).toMatchObject({ relayUnpublished: 0, relayLagMs: 0 });

    relay.start();
    await store.append(`health-${randomUUID()}`, 0, [{ id: randomUUID(), type: 'x', data: {} }]);
    const degraded = await eventually(async () => {
      const r = await ready();
      expect(r.status).toBe(503);
      return r;
    });
    expect(degraded.body).toMatchObject({ status: 'not-ready', relay: 'down', relayUnpublished: 1, postgres: 'up' });
    expect(degraded.body['relayLagMs']).toBeGreaterThan(MAX_LAG_MS);

    publishing = true;
    const recovered = await eventually(
      async () => {
        const r = await ready();
        expect(r.status).toBe(200);
        return r;
      },
      { timeoutMs: 20_000 },
    );
    expect(recovered.body).toMatchObject({ status: 'ready', relay: 'up', relayUnpublished: 0, relayLagMs: 0 });
  });
});
