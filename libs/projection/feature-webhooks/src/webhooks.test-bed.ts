import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Global, type INestApplicationContext, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import pino from 'pino';
import { dlqTopic, type Envelope, toWire, type WireMessage } from '@meridian/contracts/core';
import type { Webhook } from '@meridian/contracts/webhooks';
import { READ_POOL } from '@meridian/read-model/data-source';
import { webhooksDdl } from '@meridian/read-model/webhooks';
import type { MessageBus, ReplyBody } from '@meridian/shared/messaging';
import { BUS, DEV_SECRETS_KEY, LOGGER } from '@meridian/shared/service-kit';
import {
  createTestBus,
  createTestPool,
  createTopics,
  deleteTopics,
  testPrincipal,
  uniqueTopic,
} from '@meridian/shared/testing';
import { sealSecret } from '@meridian/shared/util';
import { CreateWebhookHandler } from './create-webhook/create-webhook.handler';
import { DeleteWebhookHandler } from './delete-webhook/delete-webhook.handler';
import { GetWebhookHandler } from './get-webhook/get-webhook.handler';
import { ListDeliveriesHandler } from './list-deliveries/list-deliveries.handler';
import { ListWebhooksHandler } from './list-webhooks/list-webhooks.handler';
import { ProjectionWebhooksModule } from './projection-webhooks.module';
import { ReplayDeliveryHandler } from './replay-delivery/replay-delivery.handler';
import { RotateWebhookSecretHandler } from './rotate-webhook-secret/rotate-webhook-secret.handler';
import { UpdateWebhookHandler } from './update-webhook/update-webhook.handler';
import { WebhooksRuntime } from './webhooks.runtime';
import type { WebhooksSettings } from './webhooks.settings';

/** This helper's own Redis database (the machine's Redis is shared): TEST_WEBHOOKS_REDIS_DB, default 11. */
export function testWebhooksRedisUrl(): string {
  const base = new URL(process.env['TEST_REDIS_URL'] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  base.pathname = `/${process.env['TEST_WEBHOOKS_REDIS_DB'] ?? '11'}`;
  return base.toString();
}

export const testSecretsKey = Buffer.from(DEV_SECRETS_KEY, 'base64');

export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** A page as the list queries answer it. */
export interface Page<T> {
  readonly items: T[];
  readonly after: string | null;
}

/** The reply's result, as the gateway reads it. */
export function resultOf<T>(reply: ReplyBody): T {
  const data = reply.data as { outcome: string; result?: unknown };
  if (data.outcome !== 'ok') throw new Error(`not an ok reply: ${JSON.stringify(data)}`);
  return data.result as T;
}

export type Behaviour = 'ok' | 'fail' | 'hang' | 'reset' | { readonly delayMs: number };

export interface ReceivedRequest {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly path: string;
  /** The status the receiver answered; null when it answered none (hang, reset). */
  status: number | null;
}

/**
 * A webhook endpoint on 127.0.0.1: records every request and answers as `behave` says (by the
 * request's number per webhook-id, from 1). `stop()` closes the port (connections are refused);
 * `start(port)` listens on the same port again.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  connections = 0;
  /** Requests open (received, not yet answered or closed) now, and the most at once. */
  open = 0;
  maxOpen = 0;
  behave: (request: ReceivedRequest, nth: number) => Behaviour = () => 'ok';
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  static async start(port = 0): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.listen(port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/in`;
  }

  async listen(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests answered 2xx, per webhook-id. */
  answered(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.id === id && r.status !== null && r.status >= 200 && r.status < 300);
  }

  ofId(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.id === id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string): string => String(req.headers[name] ?? '');
    const request: ReceivedRequest = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      path: req.url ?? '',
      status: null,
    };
    this.requests.push(request);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    res.on('close', () => this.open--);
    const behaviour = this.behave(request, this.ofId(request.id).length);
    if (behaviour === 'hang') return;
    if (behaviour === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (typeof behaviour === 'object') await new Promise((r) => setTimeout(r, behaviour.delayMs));
    const status = behaviour === 'fail' ? 500 : 200;
    request.status = status;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failing on purpose');
  }
}

/** What CoreModule and ReadModelModule give projection, built over the test's own connections. */
function testCoreModule(pool: Pool, bus: MessageBus): Type {
  @Global()
  @Module({
    providers: [
      { provide: READ_POOL, useValue: pool },
      { provide: BUS, useValue: bus },
      { provide: LOGGER, useValue: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }) },
    ],
    exports: [READ_POOL, BUS, LOGGER],
  })
  class TestCoreModule {}
  return TestCoreModule;
}

/**
 * The webhooks module over the real PostgreSQL (the `webhooks` schema, migrated with the read
 * model's DDL), Kafka (a topic of the file's own, its DLQ) and Redis (database 11, a queue of the
 * file's own). Rows of different files and tests are kept apart by unique tenants.
 */
export class WebhooksBed {
  app: INestApplicationContext | null = null;
  readonly tenantPrefix = `wh${randomBytes(3).toString('hex')}`;

  private constructor(
    readonly pool: Pool,
    readonly bus: MessageBus,
    readonly redis: Redis,
    readonly topic: string,
    readonly queueName: string,
  ) {}

  static async create(name: string): Promise<WebhooksBed> {
    const pool = createTestPool(12);
    for (const statement of webhooksDdl) await pool.query(statement);
    const bus = createTestBus(`webhooks-${name}`);
    const topic = uniqueTopic(`webhooks-${name}`);
    await createTopics(bus, [topic, dlqTopic(topic)]);
    const redis = new Redis(testWebhooksRedisUrl());
    return new WebhooksBed(pool, bus, redis, topic, `webhooks-${name}-${randomBytes(3).toString('hex')}`);
  }

  /**
   * Starts the module (consumer and dispatcher running) with these settings over the defaults of
   * tests; `pool` is the module's READ_POOL (default the bed's own; a test may pass one through a
   * FaultProxy, keeping the bed's pool for its checks).
   */
  async start(settings: Partial<WebhooksSettings> = {}, pool: Pool = this.pool): Promise<WebhooksRuntime> {
    // A test that failed before its own stop must not leave its dispatcher running (and the process alive).
    await this.stop();
    const options: WebhooksSettings = {
      redisUrl: testWebhooksRedisUrl(),
      secretsKey: testSecretsKey,
      queueName: this.queueName,
      topics: [this.topic],
      groupId: `${this.queueName}.fan-out`,
      fromBeginning: true,
      consumerConcurrency: 1,
      allowLoopback: true,
      reconcileMs: 2000,
      timeoutMs: 1000,
      retryScheduleMs: [300, 300],
      ...settings,
    };
    @Module({ imports: [testCoreModule(pool, this.bus), ProjectionWebhooksModule.forRoot(options)] })
    class TestWebhooksApp {}
    this.app = await NestFactory.createApplicationContext(TestWebhooksApp, { logger: false });
    return this.runtime;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    await app?.close();
  }

  async close(): Promise<void> {
    await this.stop();
    // Nothing of this file stays pending in the shared schema for another file's dispatcher to find.
    await this.pool.query(
      `UPDATE webhooks.deliveries SET state = 'cancelled', finished_at = clock_timestamp(), next_attempt_at = NULL
       WHERE tenant_id LIKE $1 AND state = 'pending'`,
      [`${this.tenantPrefix}-%`],
    );
    await deleteTopics(this.bus, [this.topic, dlqTopic(this.topic)]);
    await this.bus.close();
    this.redis.disconnect();
    await this.pool.end();
  }

  get runtime(): WebhooksRuntime {
    if (!this.app) throw new Error('the bed is not started');
    return this.app.get(WebhooksRuntime);
  }

  tenant(name: string): string {
    return `${this.tenantPrefix}-${name}`;
  }

  /** A request as the gateway sends it: tenant and principal headers set. */
  request<T>(tenantId: string, data: T): Envelope<T> {
    return {
      id: randomUUID(),
      type: 'test',
      source: '/meridian/gateway',
      time: new Date().toISOString(),
      data,
      correlationId: randomUUID(),
      tenantId,
      principal: testPrincipal(tenantId),
    };
  }

  handler<T>(type: new (...args: never[]) => T): T {
    if (!this.app) throw new Error('the bed is not started');
    return this.app.get(type);
  }

  get handlers() {
    return {
      create: this.handler(CreateWebhookHandler),
      update: this.handler(UpdateWebhookHandler),
      remove: this.handler(DeleteWebhookHandler),
      rotate: this.handler(RotateWebhookSecretHandler),
      get: this.handler(GetWebhookHandler),
      list: this.handler(ListWebhooksHandler),
      deliveries: this.handler(ListDeliveriesHandler),
      replay: this.handler(ReplayDeliveryHandler),
    };
  }

  /** Creates a subscription through the handler; answers it with its secret in clear. */
  async subscribe(
    tenantId: string,
    url: string,
    events: string[] = ['*'],
  ): Promise<{ webhook: Webhook; secret: string }> {
    const secret = newSecret();
    const reply = await this.handlers.create.create(
      this.request(tenantId, {
        webhookId: randomUUID(),
        url,
        events,
        sealedSecret: sealSecret(testSecretsKey, secret),
        createdBy: 'test-admin',
      }),
    );
    return { webhook: resultOf<Webhook>(reply), secret };
  }

  /** Publishes an integration event on the bed's topic; answers its id. */
  async publish(tenantId: string | undefined, type: string, data: unknown, key: string | null = null): Promise<string> {
    const id = randomUUID();
    const envelope: Envelope = {
      id,
      type,
      source: '/meridian/test',
      time: new Date().toISOString(),
      data,
      correlationId: randomUUID(),
      ...(tenantId ? { tenantId } : {}),
    };
    await this.bus.send(this.topic, [toWire(envelope, key)]);
    return id;
  }

  async publishRaw(message: WireMessage): Promise<void> {
    await this.bus.send(this.topic, [message]);
  }

  /** The deliveries of a subscription as stored (state, attempts), oldest first. */
  async deliveryRows(webhookId: string): Promise<{ id: string; event_id: string; state: string; attempts: number }[]> {
    const { rows } = await this.pool.query<{ id: string; event_id: string; state: string; attempts: number }>(
      `SELECT id, event_id, state, attempts FROM webhooks.deliveries WHERE webhook_id = $1 ORDER BY seq`,
      [webhookId],
    );
    return rows;
  }
}
