/** Server-Sent Events framing (WHATWG HTML §9.2): what the gateway writes and what tests read. */

export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

const field = (name: string, value: string): string =>
  value
    .split(/\r\n|\r|\n/)
    .map((line) => `${name}: ${line}\n`)
    .join('');

/** One event: `id:`, `event:`, one `data:` line per line of data, and the blank line that ends it. */
export function sseFrame(message: SseMessage): string {
  const id = message.id !== undefined ? field('id', message.id) : '';
  const event = message.event !== undefined ? field('event', message.event) : '';
  return `${id}${event}${field('data', message.data)}\n`;
}

/** A comment line: ignored by clients, keeps proxies from closing an idle connection. */
export const sseComment = (text: string): string => `: ${text}\n\n`;

/** The reconnection delay a client should use. */
export const sseRetry = (ms: number): string => `retry: ${ms}\n\n`;

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
