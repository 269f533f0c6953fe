import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { type MessageBus, type ServeOptions, serveRequests, type Subscription } from '@meridian/shared/messaging';
import { withLogContext } from './logger';

export type RequestServerOptions = Omit<ServeOptions, 'log' | 'withContext'>;

/**
 * A service's command or query endpoint on Kafka: serves its topic once the application is up
 * (after `prepare`), stops consuming before the connections close.
 */
export abstract class RequestServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | null = null;

  protected constructor(
    protected readonly bus: MessageBus,
    protected readonly logger: Logger,
  ) {}

  protected abstract serving(): RequestServerOptions;

  /** Work that must finish before the first request is taken (e.g. bootstrap data). */
  protected async prepare(): Promise<void> {}

  async onApplicationBootstrap(): Promise<void> {
    await this.prepare();
    this.subscription = await serveRequests(this.bus, { ...this.serving(), log: this.logger, withContext: withLogContext });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
