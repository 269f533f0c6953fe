import { type SseMessage, SseParser } from './sse';

/** A stream read with `fetch`, as a browser reads it (headers such as Authorization allowed). */
export interface SseReader {
  readonly status: number;
  readonly contentType: string;
  /** Every event so far, in order. */
  readonly events: readonly SseMessage[];
  /** True once the server ended the response. */
  readonly ended: boolean;
  /** Resolves when `accept(events)` holds, or rejects after `timeoutMs`. */
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
            resolve(events);
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
