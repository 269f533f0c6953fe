import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Redis from 'ioredis';
import pino from 'pino';
import { RateLimiter } from './rate-limit';

const redisUrl = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const warnings: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: Redis;
let limiter: RateLimiter;

beforeAll(async () => {
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  await redis.ping();
  limiter = new RateLimiter(redis, logger);
});

afterAll(() => redis?.disconnect());

const bucket = () => `test:${randomUUID()}`;

describe('RateLimiter (token bucket in Redis)', () => {
  it('admits up to the burst at once, then refuses with the seconds until enough tokens are back', async () => {
    const key = bucket();
    const limit = { ratePerSecond: 10, burst: 100 };
    expect(await limiter.take(key, 60, limit)).toEqual({ allowed: true });
    expect(await limiter.take(key, 40, limit)).toEqual({ allowed: true });
    // Empty: 50 tokens at 10/s take 5 s.
    expect(await limiter.take(key, 50, limit)).toEqual({ allowed: false, retryAfterSeconds: 5 });
    // A refusal takes nothing: a smaller cost still waits only for itself.
    expect(await limiter.take(key, 5, limit)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('counts cost, not calls: one big take empties what many small ones would not', async () => {
    const limit = { ratePerSecond: 1, burst: 1000 };
    const small = bucket();
    for (let i = 0; i < 50; i++) expect(await limiter.take(small, 1, limit)).toEqual({ allowed: true });
    const big = bucket();
    expect(await limiter.take(big, 1000, limit)).toEqual({ allowed: true });
    expect(await limiter.take(big, 1, limit)).toMatchObject({ allowed: false });
  });

  it('refills at the rate, up to the burst and no further', async () => {
    const key = bucket();
    const limit = { ratePerSecond: 1000, burst: 200 };
    expect(await limiter.take(key, 200, limit)).toEqual({ allowed: true });
    expect(await limiter.take(key, 150, limit)).toMatchObject({ allowed: false });
    await sleep(300); // 300 tokens' worth of time, capped at 200
    expect(await limiter.take(key, 200, limit)).toEqual({ allowed: true });
    expect(await limiter.take(key, 100, limit)).toMatchObject({ allowed: false });
  });

  it('is atomic across concurrent callers and gateways: exactly the burst is admitted', async () => {
    const key = bucket();
    const limit = { ratePerSecond: 0.001, burst: 500 };
    const other = new Redis(redisUrl);
    try {
      await other.ping();
      const second = new RateLimiter(other, logger);
      const decisions = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? limiter : second).take(key, 7, limit)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(Math.floor(500 / 7));
    } finally {
      other.disconnect();
    }
  });

  it('keeps a bucket only until it would be full again', async () => {
    const key = bucket();
    await limiter.take(key, 10, { ratePerSecond: 10, burst: 20 });
    const ttl = await redis.pttl(`meridian:gateway:rate:${key}`);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(3000);
  });

  it('fails open when its Redis stops answering or goes away, warning once per interval', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const server = spawn('redis-server', args, { stdio: 'ignore' });
    // disconnectTimeout: ioredis keeps a timer that long after disconnecting from a server that is gone.
    const own = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
    own.on('error', () => undefined);
    try {
      for (let i = 0; i < 50 && (await own.ping().catch(() => null)) !== 'PONG'; i++) await sleep(100);
      const limiter = new RateLimiter(own, logger);
      const limit = { ratePerSecond: 1, burst: 10 };
      expect(await limiter.take('own', 10, limit)).toEqual({ allowed: true });
      expect(await limiter.take('own', 10, limit)).toEqual({ allowed: false, retryAfterSeconds: 10 });
      const before = warnings.length;

      server.kill('SIGSTOP');
      let started = Date.now();
      expect(await limiter.take('own', 10, limit)).toEqual({ allowed: true });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(warnings.slice(before)).toHaveLength(1);
      expect(JSON.parse(warnings[before])).toMatchObject({ level: 40, key: 'own' });

      server.kill('SIGKILL');
      server.kill('SIGCONT');
      for (let i = 0; i < 50 && own.status === 'ready'; i++) await sleep(20);
      started = Date.now();
      expect(await limiter.take('own', 10, limit)).toEqual({ allowed: true });
      expect(Date.now() - started).toBeLessThan(100);
      expect(warnings.slice(before)).toHaveLength(1);
    } finally {
      server.kill('SIGKILL');
      own.disconnect();
    }
  });
});
