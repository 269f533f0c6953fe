/**
 * Reading Server-Sent Events in tests (WHATWG HTML §9.2): an incremental parser and a `fetch`
 * reader, as a browser reads a stream with headers (Authorization). Test-only: the gateway's
 * framing is in libs/gateway/feature-stream/src/live-stream/sse.ts.
 */

export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/**
 * Incremental parser: feed it chunks as they arrive, get the complete events. Comments and
 * `retry:` are skipped; `lastEventId` keeps the last `id:` seen, as a browser's EventSource does.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  lastEventId: string | undefined;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (let end = this.buffer.search(/\r\n|\r|\n/); end >= 0; end = this.buffer.search(/\r\n|\r|\n/)) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) {
          out.push({
            data: this.data.join('\n'),
            ...(this.event ? { event: this.event } : {}),
            ...(this.id !== undefined ? { id: this.id } : {}),
          });
        }
        this.data = [];
        this.event = undefined;
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'data') this.data.push(value);
      else if (name === 'event') this.event = value;
      else if (name === 'id') this.id = this.lastEventId = value;
    }
    return out;
  }
}

/** A stream read with `fetch`, as a browser reads it (headers such as Authorization allowed). */
export interface SseReader {
  readonly status: number;
  readonly contentType: string;
  /** Every event so far, in order. */
  readonly events: readonly SseMessage[];
  /** True once the server ended the response. */
  readonly ended: boolean;
  /** Resolves with the events so far (a copy) when `accept(events)` holds, or rejects after `timeoutMs`. */
  until(accept: (events: readonly SseMessage[]) => boolean, timeoutMs?: number): Promise<readonly SseMessage[]>;
  close(): void;
}

/** Opens `url` and parses its Server-Sent Events in the background. A non-200 answer is returned unread. */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let ended = false;
  const reading = (async () => {
    if (res.status !== 200 || !res.body) return;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(...parser.push(decoder.decode(value, { stream: true })));
      notify();
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      ended = true;
      notify();
    });
  void reading;
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events,
    get ended() {
      return ended;
    },
    until: (accept, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (accept(events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events.slice()); // a snapshot: the stream goes on filling `events`
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended with ${events.length} events: ${JSON.stringify(events.slice(-3))}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${events.length} events: ${JSON.stringify(events.slice(-3))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => abort.abort(),
  };
}
