import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '../stream-event';
import { compareEntryIds } from './event-id';
import { sseComment, sseFrame, sseRetry } from './sse';
import { matches, type StreamFilter } from './stream-filter';

export interface ClientLimits {
  /** Unread bytes past which the client is dropped. */
  readonly bufferBytes: number;
  readonly keepAliveMs: number;
  readonly retryMs: number;
  /** Live events held while a resume replays the backlog; past it the client is dropped. */
  readonly maxQueued?: number;
}

/** After the final event, how long a client that does not read gets before its socket is destroyed. */
const DROP_GRACE_MS = 5000;
const DEFAULT_MAX_QUEUED = 10_000;

export const frameOf = (e: StoredEvent): string => sseFrame({ id: e.id, event: e.event, data: JSON.stringify(e.data) });

/**
 * One connected client: filters, frames and writes its events, never two with the same id and
 * never out of order. Its memory is bounded: what the socket has not taken is watched after every
 * write, and past `bufferBytes` the client gets a final `event: dropped` and the response ends
 * (the socket is destroyed if even that is not read). While a resume replays the backlog, live
 * events wait in a bounded queue.
 */
export class SseClient {
  private res: ServerResponse | null = null;
  /** Live events wait here until `goLive` (after `open`, and after the backlog of a resume). */
  private queued: StoredEvent[] | null = [];
  private keepAlive: NodeJS.Timeout | null = null;
  private closedListeners: (() => void)[] = [];
  closed = false;
  dropped = false;
  /** The id of the last event written or passed over: nothing at or before it is written again. */
  lastId: string | undefined;

  constructor(
    readonly filter: StreamFilter,
    private readonly limits: ClientLimits,
    resumeFrom?: string,
  ) {
    this.lastId = resumeFrom;
  }

  /**
   * Takes the response: status, headers, the `retry:` hint and keep-alives. False, and nothing
   * started, when the client is gone already (its request was aborted, or it was closed while the
   * stream was being prepared): Node does not emit `close` twice, so nothing else would clean up.
   */
  open(res: ServerResponse, headers: Record<string, string>): boolean {
    if (this.closed || res.destroyed) {
      this.close();
      // A last resort: LiveStreams answers a client closed during its preparation with a problem.
      if (!res.destroyed) res.writeHead(503, { 'cache-control': 'no-store' }).end();
      return false;
    }
    this.res = res;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies such as nginx must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.on('close', () => this.close());
    this.write(sseRetry(this.limits.retryMs));
    this.keepAlive = setInterval(() => this.write(sseComment('ping')), this.limits.keepAliveMs);
    this.keepAlive.unref();
    return true;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closedListeners.push(listener);
  }

  /** A live event from the tenant's reader; `frame` is shared by every client of the instance. */
  deliver(event: StoredEvent, frame?: string): void {
    if (this.closed) return;
    if (this.queued) {
      if (this.queued.length >= (this.limits.maxQueued ?? DEFAULT_MAX_QUEUED)) return this.drop('backlog');
      this.queued.push(event);
      return;
    }
    this.send(event, frame);
  }

  /** A page of the resumed backlog. */
  replay(events: readonly StoredEvent[]): void {
    for (const e of events) this.send(e);
  }

  /** The backlog is sent: what arrived live meanwhile follows, duplicates skipped. */
  goLive(): void {
    const queued = this.queued ?? [];
    this.queued = null;
    for (const e of queued) this.send(e);
  }

  /** Some events after the client's Last-Event-ID are no longer kept. */
  gap(lastEventId: string, retentionMs: number, resumed: boolean): void {
    if (!resumed) this.lastId = undefined;
    this.write(sseFrame({ event: 'gap', data: JSON.stringify({ lastEventId, retentionMs }) }));
  }

  /** Ends the stream with a final event saying why (Redis away); the client reconnects with Last-Event-ID. */
  fail(code: string, detail: string): void {
    if (this.closed) return;
    this.write(sseFrame({ event: 'unavailable', data: JSON.stringify({ code, detail }) }));
    this.end();
  }

  /**
   * Waits until the socket took what was written (or the client went), at most `ms`; false on
   * timeout. 'drain' is only emitted after a write was refused (`writableNeedDrain`), so a response
   * below its high-water mark is ready at once, however many bytes are still on their way.
   */
  async drained(ms: number): Promise<boolean> {
    const res = this.res;
    if (!res || this.closed || !res.writableNeedDrain) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        res.off('drain', onDrain);
        res.off('close', onDrain);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      res.once('drain', onDrain);
      res.once('close', onDrain);
    });
  }

  get bufferedBytes(): number {
    return this.res?.writableLength ?? 0;
  }

  drop(reason: 'slow-client' | 'backlog'): void {
    if (this.closed) return;
    this.dropped = true;
    const res = this.res;
    res?.write(sseFrame({ event: 'dropped', data: JSON.stringify({ reason, lastEventId: this.lastId ?? null }) }));
    this.end();
    if (res) setTimeout(() => res.destroy(), DROP_GRACE_MS).unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = null;
    if (this.keepAlive) clearInterval(this.keepAlive);
    const listeners = this.closedListeners;
    this.closedListeners = [];
    listeners.forEach((l) => l());
  }

  private send(event: StoredEvent, frame?: string): void {
    if (this.closed) return;
    if (this.lastId !== undefined && compareEntryIds(event.id, this.lastId) <= 0) return;
    this.lastId = event.id;
    if (matches(this.filter, event)) this.write(frame ?? frameOf(event));
  }

  private write(text: string): void {
    const res = this.res;
    if (!res || this.closed) return;
    res.write(text);
    if (res.writableLength > this.limits.bufferBytes) this.drop('slow-client');
  }

  private end(): void {
    const res = this.res;
    this.close();
    res?.end();
  }
}
