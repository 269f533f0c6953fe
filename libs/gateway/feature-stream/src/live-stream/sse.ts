/**
 * Server-Sent Events framing (WHATWG HTML §9.2): what the gateway writes. Tests read it with
 * `SseParser` and `readSse` of @meridian/shared/testing.
 */

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
