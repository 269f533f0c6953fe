import { ErrorCodes } from '@meridian/contracts/core';
import type Redis from 'ioredis';
import type { Log } from '@meridian/shared/util';
import { type StreamLog, storedEventOf, streamKey } from '../stream-log';
import type { StoredEvent } from '../stream-event';
import { frameOf, type SseClient } from './sse-client';

const READ_COUNT = 500;
const BLOCK_MS = 5000;
/** A blocking read not answered this long after its BLOCK time is taken for a half-open connection. */
const READ_TIMEOUT_MARGIN_MS = 2000;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

export interface HubOptions {
  /** Clients per instance (every tenant); past it `attach` refuses with `StreamCapacityReached`. */
  readonly maxClients?: number;
  /** `XREAD BLOCK` time; the connection's command timeout is this plus a margin. */
  readonly blockMs?: number;
}

/** The hub is shutting down: no new streams. */
export class StreamHubClosing extends Error {
  constructor() {
    super('the gateway is shutting down');
    this.name = 'StreamHubClosing';
  }
}

/** This instance serves as many clients as it may. */
export class StreamCapacityReached extends Error {
  constructor(readonly maxClients: number) {
    super(`this gateway instance serves its maximum of ${maxClients} live streams`);
    this.name = 'StreamCapacityReached';
  }
}

const timedOut = (err: unknown): boolean => err instanceof Error && /command timed out/i.test(err.message);

/**
 * One blocking `XREAD` loop per tenant with clients on this instance, on a connection of its own
 * (a blocking command holds its connection). It reads from an id fixed before its first client
 * resumes, so a resume's backlog and the live events overlap and never leave a hole. A connection
 * that fails is not reconnected: every client gets `event: unavailable` and reconnects with its
 * Last-Event-ID, through a new reader. A read not answered within its BLOCK time plus a margin (a
 * half-open connection: no error, no reply) is the exception: the connection is replaced once and
 * reading goes on from the last id, so the clients miss nothing; a second timeout in a row fails.
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
    private readonly blockMs: number,
    private readonly ended: (reader: TenantReader) => void,
  ) {
    this.ready = this.start();
    this.ready.catch(() => this.stop());
  }

  /** Reconnections after a read timed out (a half-open connection). */
  reconnects = 0;

  private async start(): Promise<void> {
    this.lastId = (await this.streams.state(this.tenantId))?.lastGeneratedId ?? '0-0';
    // Stopped meanwhile (its clients left, the hub closed): no connection nobody would close.
    if (this.stopped) return;
    await this.connect();
    if (!this.stopped) void this.loop();
  }

  private async connect(): Promise<void> {
    const connection = this.redis.duplicate({
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
      commandTimeout: this.blockMs + READ_TIMEOUT_MARGIN_MS,
    });
    connection.on('error', () => undefined); // the read loop reports it
    this.connection = connection;
    await connection.connect();
    if (this.stopped) connection.disconnect();
  }

  private async loop(): Promise<void> {
    const key = streamKey(this.tenantId);
    let timeouts = 0;
    while (!this.stopped && this.connection) {
      let reply: XReadReply;
      try {
        reply = (await this.connection.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          key,
          this.lastId,
        )) as XReadReply;
        timeouts = 0;
      } catch (err) {
        if (this.stopped) return;
        if (timedOut(err) && timeouts++ === 0 && (await this.reconnect())) continue;
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

  /** Replaces a connection whose read timed out; false when no new one could be opened. */
  private async reconnect(): Promise<boolean> {
    this.log.warn({ tenantId: this.tenantId }, 'live stream read timed out; reconnecting its reader');
    this.connection?.disconnect();
    this.reconnects++;
    try {
      await this.connect();
      return !this.stopped;
    } catch {
      return false;
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

/**
 * This instance's readers, one per tenant with clients; a reader stops with its last client. At
 * most `maxClients` clients; none once `close` began (shutdown).
 */
export class StreamHub {
  private readonly readers = new Map<string, TenantReader>();
  private readonly maxClients: number;
  private readonly blockMs: number;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    private readonly streams: StreamLog,
    private readonly log: Log,
    options: HubOptions = {},
  ) {
    this.maxClients = options.maxClients ?? Number.POSITIVE_INFINITY;
    this.blockMs = options.blockMs ?? BLOCK_MS;
  }

  /** Tenants with a reader on this instance (clients connected now). */
  tenants(): string[] {
    return [...this.readers.keys()];
  }

  /**
   * Adds the client to its tenant's reader, starting one if needed; rejects when Redis is away,
   * with `StreamHubClosing` once shutdown began and `StreamCapacityReached` past `maxClients`.
   */
  async attach(tenantId: string, client: SseClient): Promise<void> {
    if (this.closing) throw new StreamHubClosing();
    if (this.clients >= this.maxClients) throw new StreamCapacityReached(this.maxClients);
    let reader = this.readers.get(tenantId);
    if (!reader) {
      reader = new TenantReader(tenantId, this.redis, this.streams, this.log, this.blockMs, (r) => {
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

  /** Reconnections of readers whose read timed out (a half-open Redis connection), of readers running now. */
  get readerReconnects(): number {
    return [...this.readers.values()].reduce((n, r) => n + r.reconnects, 0);
  }

  /** Ends every stream and refuses new ones from now on (shutdown). */
  close(): void {
    this.closing = true;
    for (const reader of [...this.readers.values()]) {
      const clients = [...reader.clients];
      reader.stop();
      clients.forEach((c) => c.fail(ErrorCodes.upstreamUnavailable, 'the gateway is shutting down; reconnect'));
    }
  }
}
