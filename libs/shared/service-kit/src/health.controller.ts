import { Controller, Get, HttpCode, Inject, Optional, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, PG_POOL, READINESS, REDIS } from './tokens';

/** A service's own readiness conditions beside its connections (e.g. a directory still loading). */
export type ReadinessCheck = () => Record<string, 'up' | 'down'>;

const within = <T>(ms: number, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))]);

const probe = async (check: () => Promise<unknown>): Promise<'up' | 'down'> => {
  try {
    const ok = await within(2000, check());
    return ok === false ? 'down' : 'up';
  } catch {
    return 'down';
  }
};

/** Liveness says the process runs; readiness says its Kafka, Postgres and Redis connections work. */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BUS) private readonly bus: MessageBus,
    @Optional() @Inject(READINESS) private readonly extra?: ReadinessCheck,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, string>> {
    const [postgres, redis, kafka] = await Promise.all([
      probe(() => this.pool.query('SELECT 1')),
      probe(() => this.redis.ping()),
      probe(async () => (await this.bus.ping()) && this.bus.consumersJoined()),
    ]);
    const checks = { postgres, redis, kafka, ...this.extra?.() };
    const allUp = Object.values(checks).every((c) => c === 'up');
    reply.status(allUp ? 200 : 503);
    return { status: allUp ? 'ready' : 'not-ready', ...checks };
  }
}
