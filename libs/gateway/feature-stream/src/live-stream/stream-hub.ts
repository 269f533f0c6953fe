import { ErrorCodes } from '@meridian/contracts/core';
import type Redis from 'ioredis';
import type { Log } from '@meridian/shared/util';
import { type StreamLog, storedEventOf, streamKey } from '../stream-log';
import type { StoredEvent } from '../stream-event';
import { frameOf, type SseClient } from './sse-client';

const READ_COUNT = 500;
const BLOCK_MS = 5000;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * One blocking `XREAD` loop per tenant with clients on this instance, on a connection of its own
 * (a blocking command holds its connection). It reads from an id fixed before its first client
 * resumes, so a resume's backlog and the live events overlap and never leave a hole. A connection
 * that fails is not reconnected: every client gets `event: unavailable` and reconnects with its
 * Last-Event-ID, through a new reader.
 */
class TenantReader {
  readonly clients = new Set<SseClient>();
  readonly ready: Promise<void>;
  private connection: Redis | null = null;
  private stopped = false;
  private lastId = '0-0';

  constructor(
    private readonly tenantId: string,
    private readonly redis: Redis,
    private readonly streams: StreamLog,
    private readonly log: Log,
    private readonly ended: (reader: TenantReader) => void,
  ) {
    this.ready = this.start();
    this.ready.catch(() => this.stop());
  }

  private async start(): Promise<void> {
    this.lastId = (await this.streams.state(this.tenantId))?.lastGeneratedId ?? '0-0';
    this.connection = this.redis.duplicate({
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    this.connection.on('error', () => undefined); // the read loop reports it
    await this.connection.connect();
    void this.loop(this.connection);
  }

  private async loop(connection: Redis): Promise<void> {
    const key = streamKey(this.tenantId);
    while (!this.stopped) {
      let reply: XReadReply;
      try {
        reply = (await connection.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          key,
          this.lastId,
        )) as XReadReply;
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ tenantId: this.tenantId, err: String(err) }, 'live stream reader failed; ending its clients');
        this.fail('the event store of live streams is unavailable; reconnect with Last-Event-ID');
        return;
      }
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        this.lastId = id;
        const event = storedEventOf([id, fields]);
        if (event) this.dispatch(event);
      }
    }
  }

  private dispatch(event: StoredEvent): void {
    const frame = frameOf(event);
    for (const client of this.clients) client.deliver(event, frame);
  }

  private fail(detail: string): void {
    const clients = [...this.clients];
    this.stop();
    clients.forEach((c) => c.fail(ErrorCodes.upstreamUnavailable, detail));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.connection?.disconnect();
    this.ended(this);
  }
}

/** This instance's readers, one per tenant with clients; a reader stops with its last client. */
export class StreamHub {
  private readonly readers = new Map<string, TenantReader>();

  constructor(
    private readonly redis: Redis,
    private readonly streams: StreamLog,
    private readonly log: Log,
  ) {}

  /** Adds the client to its tenant's reader, starting one if needed; rejects when Redis is away. */
  async attach(tenantId: string, client: SseClient): Promise<void> {
    let reader = this.readers.get(tenantId);
    if (!reader) {
      reader = new TenantReader(tenantId, this.redis, this.streams, this.log, (r) => {
        if (this.readers.get(tenantId) === r) this.readers.delete(tenantId);
      });
      this.readers.set(tenantId, reader);
    }
    const attached = reader;
    attached.clients.add(client);
    client.onClose(() => {
      attached.clients.delete(client);
      if (attached.clients.size === 0) attached.stop();
    });
    try {
      await attached.ready;
    } catch (err) {
      attached.clients.delete(client);
      throw err;
    }
  }

  get clients(): number {
    return [...this.readers.values()].reduce((n, r) => n + r.clients.size, 0);
  }

  get tenantsRead(): number {
    return this.readers.size;
  }

  close(): void {
    for (const reader of [...this.readers.values()]) {
      const clients = [...reader.clients];
      reader.stop();
      clients.forEach((c) => c.fail(ErrorCodes.upstreamUnavailable, 'the gateway is shutting down; reconnect'));
    }
  }
}
