/**
 * The live stream (GET /v1/stream, Server-Sent Events) read with fetch, so the token travels in the
 * `Authorization` header (EventSource cannot send one). Reconnects with `Last-Event-ID` after the
 * announced `retry:` delay when the response ends or the network drops.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Api } from './client';
import { ApiError } from './client';
import type { Problem } from './types';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface StreamHandlers {
  readonly onEvent: (type: string, data: unknown) => void;
  readonly onState?: (state: StreamState, detail?: string) => void;
}

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class LiveStream {
  private readonly controller = new AbortController();
  private lastEventId: string | undefined;
  private retryMs = MIN_RETRY_MS;

  constructor(
    private readonly api: Api,
    private readonly query: Record<string, string>,
    private readonly handlers: StreamHandlers,
  ) {}

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.controller.abort();
    this.handlers.onState?.('stopped');
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.controller.signal.aborted) {
      this.handlers.onState?.(failures ? 'reconnecting' : 'connecting');
      try {
        await this.follow();
        failures = 0;
      } catch (err) {
        if (this.controller.signal.aborted) return;
        failures += 1;
        const detail = err instanceof ApiError ? err.message : 'the connection dropped';
        this.handlers.onState?.('reconnecting', detail);
      }
      const wait = Math.min(MAX_RETRY_MS, this.retryMs * Math.max(1, failures));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async follow(): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const response = await this.api.fetch(this.api.url('/v1/stream', this.query), {
      headers,
      signal: this.controller.signal,
    });
    if (!response.ok || !response.body) {
      const problem = (await response.json().catch(() => ({}))) as Problem;
      throw new ApiError(response.status, problem);
    }
    this.handlers.onState?.('live');
    const parser = createParser({
      onEvent: (message: EventSourceMessage) => {
        if (message.id) this.lastEventId = message.id;
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          return; // not ours to show
        }
        this.handlers.onEvent(message.event ?? 'message', data);
      },
      onRetry: (ms: number) => {
        this.retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, ms));
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  }
}
