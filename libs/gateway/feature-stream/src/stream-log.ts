import type Redis from 'ioredis';
import { compareEntryIds } from './live-stream/event-id';
import { type EventName, eventNames, type StoredEvent, type TenantEvent } from './stream-event';

export const streamKey = (tenantId: string): string => `meridian:gateway:stream:${tenantId}`;

/** A relay group's highest appended offset of one partition: a record at or below it is not appended again. */
export const relayedKey = (scope: string, topic: string, partition: number): string =>
  `meridian:gateway:stream-relayed:${scope}:${topic}:${partition}`;

/** Recorded in the MULTI of an append: the records up to `offset` of the partition behind `key` are in the streams. */
export interface RelayedMark {
  readonly key: string;
  readonly offset: bigint;
}

export interface StreamLogOptions {
  /** Entries older than this are trimmed (`MINID ~`). */
  readonly retentionMs: number;
  /** And at most about this many are kept per tenant (`MAXLEN ~`). */
  readonly maxEvents: number;
}

/** What `XINFO STREAM` says about a tenant's stream, for resuming; null when it does not exist. */
export interface StreamState {
  readonly lastGeneratedId: string;
  readonly firstId: string | null;
}

type Entry = [id: string, fields: string[]];

/** A Redis entry → event; null for an entry this version cannot read (skipped, never fatal). */
export function storedEventOf([id, fields]: Entry): StoredEvent | null {
  const at = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
  const event = at('e');
  const raw = at('d');
  if (!event || !(eventNames as readonly string[]).includes(event) || raw === undefined) return null;
  try {
    return { id, event: event as EventName, data: JSON.parse(raw) as unknown } as StoredEvent;
  } catch {
    return null;
  }
}

/**
 * The per-tenant Redis streams: the relay appends, every gateway instance reads. An entry's id is
 * the SSE `id:` (the same on every instance); entries live for the retention window.
 */
export class StreamLog {
  constructor(
    private readonly redis: Redis,
    private readonly options: StreamLogOptions,
  ) {}

  /**
   * Appends in one MULTI: all or nothing, so a retry after a failure never appends part of a batch.
   * Trims by age on every append, by count once per tenant, and lets an idle tenant's stream
   * expire. `marks` (the relay's offsets) are set in the same MULTI, so "appended" and "offset
   * recorded" are one fact: a batch redelivered after a crash that came before the Kafka commit is
   * recognised (`relayedOffsets`) and skipped. Marks live as long as the streams (2 × retention).
   */
  async append(events: readonly TenantEvent[], now = Date.now(), marks: readonly RelayedMark[] = []): Promise<void> {
    if (events.length === 0) return;
    const minId = String(Math.max(0, now - this.options.retentionMs));
    const multi = this.redis.multi();
    const tenants = new Set<string>();
    for (const e of events) {
      tenants.add(e.tenantId);
      multi.xadd(streamKey(e.tenantId), 'MINID', '~', minId, '*', 'e', e.event, 'd', JSON.stringify(e.data));
    }
    for (const tenant of tenants) {
      multi.xtrim(streamKey(tenant), 'MAXLEN', '~', this.options.maxEvents);
      multi.pexpire(streamKey(tenant), this.options.retentionMs * 2);
    }
    for (const mark of marks) multi.set(mark.key, String(mark.offset), 'PX', this.options.retentionMs * 2);
    const results = await multi.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results) throw new Error('Redis MULTI was aborted');
    if (failed?.[0]) throw failed[0];
  }

  /** The offsets recorded by `append` under `keys` (absent: nothing recorded, or it expired). */
  async relayedOffsets(keys: readonly string[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    if (keys.length === 0) return found;
    const values = await this.redis.mget(...keys);
    keys.forEach((key, i) => {
      const value = values[i];
      if (value !== null && value !== undefined && /^\d+$/.test(value)) found.set(key, BigInt(value));
    });
    return found;
  }

  async state(tenantId: string): Promise<StreamState | null> {
    let reply: unknown;
    try {
      reply = await this.redis.xinfo('STREAM', streamKey(tenantId));
    } catch (err) {
      if (/no such key/i.test((err as Error).message)) return null;
      throw err;
    }
    const flat = reply as unknown[];
    const get = (name: string): unknown => flat[flat.indexOf(name) + 1];
    const first = get('first-entry') as Entry | null;
    return {
      lastGeneratedId: String(get('last-generated-id')),
      firstId: first ? first[0] : null,
    };
  }

  /** Entries after `afterId`, oldest first, at most `count`; `next` is where to go on from while more may follow. */
  async after(
    tenantId: string,
    afterId: string,
    count: number,
  ): Promise<{ events: StoredEvent[]; next: string | null }> {
    const entries = (await this.redis.xrange(streamKey(tenantId), `(${afterId}`, '+', 'COUNT', count)) as Entry[];
    const events = entries.map(storedEventOf).filter((e): e is StoredEvent => e !== null);
    const last = entries[entries.length - 1];
    return { events, next: entries.length === count && last ? last[0] : null };
  }
}

/**
 * Whether events after `lastId` may be missing from the stream: it is gone (expired, or Redis lost
 * it), the id is not from it (newer than anything it generated), or the oldest entry kept is newer
 * than the id (trimmed by age or count, or the stream was recreated), or nothing is kept although
 * entries were added after the id. Redis 7.0 does not record trimmed ids (`max-deleted-entry-id`
 * counts XDEL only), so an id that was itself the last one trimmed counts as a gap: conservative.
 */
export function missedSince(state: StreamState | null, lastId: string): boolean {
  if (!state) return true;
  if (compareEntryIds(lastId, state.lastGeneratedId) > 0) return true;
  if (state.firstId === null) return compareEntryIds(lastId, state.lastGeneratedId) < 0;
  return compareEntryIds(state.firstId, lastId) > 0;
}
