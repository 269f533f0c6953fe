import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { SseClient } from './sse-client';
import { parseStreamQuery } from './stream-filter';

/**
 * A response whose socket takes nothing yet (its writes stay pending): what a client reading
 * normally looks like between two TCP round trips. Only the members SseClient uses are real.
 */
class PendingResponse extends Writable {
  private readonly pending: (() => void)[] = [];
  private flowing = false;
  status: number | null = null;

  constructor(highWaterMark: number) {
    super({
      highWaterMark,
      write: (_chunk: Buffer, _encoding, callback: () => void) => {
        if (this.flowing) callback();
        else this.pending.push(callback);
      },
    });
  }

  /** The socket takes everything from now on. */
  flow(): void {
    this.flowing = true;
    this.pending.splice(0).forEach((callback) => callback());
  }

  writeHead(status: number): this {
    this.status = status;
    return this;
  }

  asResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

const limits = { bufferBytes: 1024 * 1024, keepAliveMs: 60_000, retryMs: 500 };
const everything = { ...parseStreamQuery({}), visible: () => true };
const client = () => new SseClient(everything, limits);

describe('SseClient', () => {
  it('drained() is true at once for a response below its high-water mark, bytes still on their way', async () => {
    const res = new PendingResponse(64 * 1024);
    const c = client();
    expect(c.open(res.asResponse(), {})).toBe(true);
    c.replay([{ id: '1-0', event: 'position', data: { assetId: 'a', ts: '2024-01-01T00:00:00Z', lon: 1, lat: 1 } }]);
    expect(res.writableLength).toBeGreaterThan(0); // written, not yet taken by the socket
    expect(res.writableNeedDrain).toBe(false); // but no write was refused: 'drain' will never come
    // A short limit: waiting for a 'drain' that never comes would answer false (and drop the client).
    await expect(c.drained(50)).resolves.toBe(true);
    c.close();
  });

  it('drained() waits for the drain after a refused write, and says so when it came', async () => {
    const res = new PendingResponse(4);
    const c = client();
    c.open(res.asResponse(), {});
    expect(res.writableNeedDrain).toBe(true);
    const drained = c.drained(20_000);
    res.flow();
    await expect(drained).resolves.toBe(true);
    c.close();
  });

  it('open() on a response whose client is gone starts nothing and closes the client', () => {
    const res = new PendingResponse(1024);
    res.destroy();
    const c = client();
    let closed = false;
    c.onClose(() => (closed = true));
    expect(c.open(res.asResponse(), {})).toBe(false);
    expect([c.closed, closed, res.status, res.writableLength]).toEqual([true, true, null, 0]);
  });

  it('open() on a client closed while it was prepared answers without a stream', () => {
    const res = new PendingResponse(1024);
    const c = client();
    c.close();
    expect(c.open(res.asResponse(), {})).toBe(false);
    expect(res.status).toBe(503);
    expect(res.writableEnded).toBe(true);
  });
});
