import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AssetsExistV1, ExistingAssets } from '@meridian/contracts/assets';
import { REDIS } from '@meridian/shared/service-kit';
import { ServiceBus } from './service-bus';

const key = (tenantId: string): string => `meridian:gateway:assets:${tenantId}`;

/**
 * Which asset ids exist in a tenant, for validating telemetry without a round trip per fix.
 * Redis is only a cache: ids land there when this gateway registers an asset or when geo-query
 * confirms them; a miss asks geo-query, so a flushed Redis costs latency, never correctness.
 */
@Injectable()
export class AssetDirectory {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly bus: ServiceBus,
  ) {}

  async remember(tenantId: string, assetId: string): Promise<void> {
    await this.redis.sadd(key(tenantId), assetId).catch(() => undefined); // a cache write may fail
  }

  /** The subset of `assetIds` registered in the tenant. */
  async known(tenantId: string, assetIds: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(assetIds)];
    if (unique.length === 0) return new Set();
    // Redis down is a cache miss: every id is confirmed by geo-query instead.
    const flags = await this.redis.smismember(key(tenantId), ...unique).catch(() => unique.map(() => 0));
    const known = new Set(unique.filter((_, i) => flags[i] === 1));
    const missing = unique.filter((id) => !known.has(id));
    if (missing.length === 0) return known;
    const { existing } = ExistingAssets.parse(await this.bus.query(AssetsExistV1, { assetIds: missing }, tenantId));
    if (existing.length > 0) await this.redis.sadd(key(tenantId), ...existing).catch(() => undefined);
    existing.forEach((id) => known.add(id));
    return known;
  }
}
