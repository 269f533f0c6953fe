import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { READ_POOL } from '@meridian/read-model/data-source';
import { WebhookDeliveries } from '@meridian/read-model/webhooks';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import { type DeliveryCounters, DeliveryDispatcher } from './deliver/delivery-dispatcher';
import type { LookupAll, TargetPolicy } from './deliver/target-guard';
import { FanOutConsumer } from './fan-out/fan-out.consumer';
import { type ResolvedWebhooksSettings, WEBHOOKS_SETTINGS } from './webhooks.settings';

/**
 * The running parts of webhooks in one projection instance: the fan-out consumer, the BullMQ
 * dispatcher and the retention sweep. Started after the app is initialised (the read-model
 * migrations ran), stopped before the connections close: consumer first (its batch in flight
 * commits), then the worker (attempts in flight are recorded), then the queue.
 */
@Injectable()
export class WebhooksRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly dispatcher: DeliveryDispatcher;
  readonly fanOut: FanOutConsumer;
  readonly policy: TargetPolicy;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;

  constructor(
    @Inject(WEBHOOKS_SETTINGS) readonly settings: ResolvedWebhooksSettings,
    @Inject(READ_POOL) private readonly pool: Pool,
    @Inject(BUS) bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = { allowLoopback: settings.allowLoopback };
    this.dispatcher = new DeliveryDispatcher({
      pool,
      redisUrl: settings.redisUrl,
      prefix: settings.redisPrefix,
      queueName: settings.queueName,
      concurrency: settings.concurrency,
      endpointConcurrency: settings.endpointConcurrency,
      timeoutMs: settings.timeoutMs,
      schedule: { delaysMs: settings.retryScheduleMs, jitter: settings.retryJitter },
      reconcileMs: settings.reconcileMs,
      secretsKey: settings.secretsKey,
      policy: this.policy,
      ...(settings.lookup ? { lookup: settings.lookup } : {}),
      log: logger,
    });
    this.fanOut = new FanOutConsumer(
      bus,
      pool,
      {
        groupId: settings.groupId,
        topics: settings.topics,
        concurrency: settings.consumerConcurrency,
        fromBeginning: settings.fromBeginning,
        log: logger,
      },
      (ids) => this.dispatcher.enqueue(ids),
    );
  }

  /** What the create and update handlers check a URL with (the address of a refusal is logged, not answered). */
  get guard(): { readonly policy: TargetPolicy; readonly lookup?: LookupAll; readonly log: Logger } {
    return { policy: this.policy, ...(this.settings.lookup ? { lookup: this.settings.lookup } : {}), log: this.logger };
  }

  /** Delivery counters since start (attempts, succeeded, failed, dead, …). */
  get counters(): DeliveryCounters {
    return this.dispatcher.counters;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.allowLoopback) {
      this.logger.warn(
        { setting: 'WEBHOOKS_ALLOW_LOOPBACK' },
        'webhooks may call loopback addresses (127.0.0.0/8, ::1, localhost), over plain http too: development only',
      );
    }
    await this.dispatcher.start();
    await this.fanOut.start();
    if (this.settings.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.settings.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.fanOut.stop();
    await this.dispatcher.stop();
    await this.sweeping;
  }

  /** Deletes finished deliveries past the retention; one sweep at a time. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    const run = new WebhookDeliveries(this.pool).sweep(this.settings.retentionDays);
    this.sweeping = run.catch(() => undefined);
    try {
      const deleted = await run;
      if (deleted > 0) this.logger.info({ deleted }, 'expired webhook deliveries deleted');
      return deleted;
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'webhook retention sweep failed; next round retries');
      return 0;
    } finally {
      this.sweeping = null;
    }
  }
}
