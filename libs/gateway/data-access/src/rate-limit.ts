import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER, REDIS } from '@meridian/shared/service-kit';

export interface BucketLimit {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Tokens a full bucket holds: the largest burst. */
  readonly burst: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Whole seconds until the bucket holds enough for this cost (Retry-After), at least 1. */
      readonly retryAfterSeconds: number;
    };

/**
 * A token bucket, refilled lazily. One script call reads, refills, takes and writes, so concurrent
 * gateways share one bucket without races; the clock is Redis's (TIME), not each gateway's. A
 * bucket left alone until it is full again expires: a missing key is a full bucket.
 * Returns {1, 0} when taken, else {0, microseconds until enough tokens}.
 */
const TAKE_TOKENS = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
  at = now
end
if tokens < cost then
  return {0, math.ceil((cost - tokens) * 1000000 / rate)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {1, 0}
`;

const COMMAND = 'meridianTakeTokens';
type BucketRedis = Redis & {
  [COMMAND](key: string, ratePerSecond: number, burst: number, cost: number): Promise<[number, number]>;
};

/** Past this the request is admitted without an answer from Redis: a slow Redis must not slow ingest. */
const REDIS_TIMEOUT_MS = 250;
const WARN_INTERVAL_MS = 60_000;

/**
 * Rate limits in Redis, shared by every gateway instance. Fails open: when Redis is unreachable or
 * slow, requests are admitted and a warning is logged at most once a minute. A limit that cannot be
 * checked is not a reason to refuse telemetry, which is durable only once it reaches Kafka; the
 * outage is visible in the logs and on /health/ready (docs/decisions/0016-ingest-rate-limit.md).
 */
@Injectable()
export class RateLimiter {
  private readonly redis: BucketRedis;
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_TOKENS });
    this.redis = redis as BucketRedis;
  }

  /** Takes `cost` tokens from the bucket `key` if it holds them; takes nothing otherwise. */
  async take(key: string, cost: number, limit: BucketLimit): Promise<RateDecision> {
    if (this.redis.status !== 'ready') return this.admitUnchecked(key, `redis is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), REDIS_TIMEOUT_MS);
    });
    try {
      const reply = await Promise.race([
        this.redis[COMMAND](`meridian:gateway:rate:${key}`, limit.ratePerSecond, limit.burst, cost),
        timeout,
      ]);
      if (reply === 'timeout') return this.admitUnchecked(key, `no answer within ${REDIS_TIMEOUT_MS} ms`);
      const [taken, waitMicros] = reply;
      if (taken === 1) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMicros / 1_000_000)) };
    } catch (err) {
      return this.admitUnchecked(key, (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private admitUnchecked(key: string, reason: string): RateDecision {
    const now = Date.now();
    if (now - this.lastWarning >= WARN_INTERVAL_MS) {
      this.lastWarning = now;
      this.logger.warn({ key, reason }, 'rate limit not checked (Redis unavailable): admitting');
    }
    return { allowed: true };
  }
}
