import type Redis from 'ioredis';

/**
 * Attempts in flight per endpoint (subscription), across every instance: a sorted set per
 * subscription whose members are the attempts holding a slot, scored by when the slot lapses. A
 * slot is given back after the attempt, and lapses by itself if its holder died; losing the sets
 * (FLUSHALL) only forgets who holds what for one timeout.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
  return 1
end
return 0`;

export class EndpointSlots {
  constructor(
    private readonly redis: () => Redis | null,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly holdMs: number,
  ) {}

  private key(webhookId: string): string {
    return `${this.prefix}:webhook-slots:${webhookId}`;
  }

  /** True when the attempt `token` may go to `webhookId` now. */
  async take(webhookId: string, token: string): Promise<boolean> {
    const redis = this.redis();
    if (!redis) return false;
    const now = Date.now();
    const taken = await redis.eval(TAKE, 1, this.key(webhookId), now, now + this.holdMs, this.limit, token);
    return taken === 1;
  }

  async release(webhookId: string, token: string): Promise<void> {
    await this.redis()
      ?.zrem(this.key(webhookId), token)
      .catch(() => undefined);
  }
}
