import { Controller, Get, HttpCode, Inject, Optional, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { RelayLag } from '@meridian/shared/event-store';
import type { MessageBus } from '@meridian/shared/messaging';
import type { BaseConfig } from './config';
import { BUS, CONFIG, PG_POOL, READINESS, REDIS, RELAY_LAG } from './tokens';

/** A service's own readiness conditions beside its connections (e.g. a directory still loading). */
export type ReadinessCheck = () => Record<string, 'up' | 'down'>;

/** Lag of the service's outbox relay; null while no relay runs (starting, or shutting down). */
export type RelayLagProbe = () => Promise<RelayLag | null>;

type Status = 'up' | 'down';

export interface Readiness {
  readonly ready: boolean;
  readonly body: Record<string, string | number>;
}

const within = <T>(ms: number, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
};

const probe = async (check: () => Promise<unknown>): Promise<Status> => {
  try {
    const ok = await within(2000, check());
    return ok === false ? 'down' : 'up';
  } catch {
    return 'down';
  }
};

/**
 * Liveness says the process runs; readiness says its Kafka (broker, consumers, producer), Postgres
 * and Redis connections work and, where the service has an outbox, that the relay keeps up: the
 * oldest unpublished event is younger than RELAY_MAX_LAG_MS.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(CONFIG) private readonly config: Pick<BaseConfig, 'RELAY_MAX_LAG_MS'>,
    @Optional() @Inject(READINESS) private readonly extra?: ReadinessCheck,
    @Optional() @Inject(RELAY_LAG) private readonly relayLag?: RelayLagProbe,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, string | number>> {
    const { ready, body } = await this.readiness();
    reply.status(ready ? 200 : 503);
    return body;
  }

  async readiness(): Promise<Readiness> {
    const [postgres, redis, kafka, relay] = await Promise.all([
      probe(() => this.pool.query('SELECT 1')),
      probe(() => this.redis.ping()),
      probe(async () => (await this.bus.ping()) && this.bus.consumersJoined()),
      this.relay(),
    ]);
    const kafkaProducer: Status = this.bus.producerHealthy() ? 'up' : 'down';
    const checks: Record<string, Status> = {
      postgres,
      redis,
      kafka,
      kafkaProducer,
      ...relay?.checks,
      ...this.extra?.(),
    };
    const ready = Object.values(checks).every((c) => c === 'up');
    return { ready, body: { status: ready ? 'ready' : 'not-ready', ...checks, ...relay?.figures } };
  }

  private async relay(): Promise<{ checks: { relay: Status }; figures: Record<string, number> } | null> {
    const probeLag = this.relayLag;
    if (!probeLag) return null;
    const lag = await within(2000, probeLag()).catch(() => null);
    if (!lag) return { checks: { relay: 'down' }, figures: {} };
    return {
      checks: { relay: lag.oldestUnpublishedAgeMs > this.config.RELAY_MAX_LAG_MS ? 'down' : 'up' },
      figures: { relayUnpublished: lag.unpublished, relayLagMs: lag.oldestUnpublishedAgeMs },
    };
  }
}
