import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { ErrorCodes } from '@meridian/contracts/core';
import { REDIS } from '@meridian/shared/service-kit';
import { problemFromCode } from '@meridian/gateway/util-http';

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly location?: string;
}

type Entry =
  | { readonly state: 'pending'; readonly hash: string }
  | ({ readonly state: 'done'; readonly hash: string } & StoredResponse);

const KEY_PATTERN = /^[\w.:-]{1,200}$/;
const TTL_SECONDS = 24 * 60 * 60;
// Longer than the longest allowed command timeout (120 s): a slow first attempt keeps its claim.
const PENDING_TTL_SECONDS = 300;

/**
 * `Idempotency-Key` for POSTs. Redis remembers the response for a day so a retry gets the same
 * answer. Redis is not the only guard: the command id is derived from the key, so a retry after
 * Redis lost the entry is deduplicated by the event store (same event ids).
 */
@Injectable()
export class Idempotency {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static validate(key: string): void {
    if (!KEY_PATTERN.test(key)) {
      throw problemFromCode(
        ErrorCodes.idempotencyKeyInvalid,
        'Idempotency-Key must be 1-200 characters of [A-Za-z0-9_.:-]',
      );
    }
  }

  /** Runs `work` once per (tenant, key); replays the stored response for repeats with the same body. */
  async run(
    tenantId: string,
    key: string,
    body: unknown,
    work: () => Promise<StoredResponse>,
  ): Promise<StoredResponse> {
    Idempotency.validate(key);
    const redisKey = `meridian:gateway:idem:${tenantId}:${key}`;
    const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const claimed = await this.redis
      .set(redisKey, JSON.stringify({ state: 'pending', hash }), 'EX', PENDING_TTL_SECONDS, 'NX')
      .catch(() => 'unavailable' as const);
    // Without Redis the request still runs: ids derived from the key make a retry a no-op in the event store.
    if (claimed === 'unavailable') return work();
    if (claimed !== 'OK') {
      const raw = await this.redis.get(redisKey);
      const entry = raw ? (JSON.parse(raw) as Entry) : null;
      if (entry && entry.hash !== hash) {
        throw problemFromCode(
          ErrorCodes.idempotencyKeyReused,
          'this Idempotency-Key was used with a different request body',
        );
      }
      if (entry?.state === 'done') return entry;
      if (entry?.state === 'pending') {
        throw problemFromCode(
          ErrorCodes.idempotencyInProgress,
          'a request with this Idempotency-Key is still being processed',
        );
      }
    }
    try {
      const response = await work();
      // A 202 "pending" is not an outcome: a retry re-sends the same command id and learns the real one.
      if (response.status < 500 && response.status !== 202) {
        await this.redis.set(redisKey, JSON.stringify({ state: 'done', hash, ...response }), 'EX', TTL_SECONDS);
      } else {
        await this.redis.del(redisKey);
      }
      return response;
    } catch (err) {
      await this.redis.del(redisKey);
      throw err;
    }
  }
}
