import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '@meridian/gateway/util-http';
import { codingOf, gunzipBody } from './content-encoding';

const MIB = 1024 * 1024;
const limits = { wireBytes: MIB, decodedBytes: 4 * MIB };

/** A request body arriving in 16 KiB pieces; counts the bytes the decoder pulled from it. */
function wire(bytes: Buffer, piece = 16 * 1024): { payload: Readable; pulled: () => number } {
  let offset = 0;
  const payload = new Readable({
    read() {
      const next = bytes.subarray(offset, offset + piece);
      offset += next.length;
      this.push(next.length ? next : null);
    },
  });
  return { payload, pulled: () => offset };
}

async function drain(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const problemOf = async (body: Readable): Promise<{ status: number; code: string }> => {
  try {
    await drain(body);
  } catch (err) {
    if (err instanceof ProblemException) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('the body decoded without a problem');
};

describe('codingOf', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    [' GZip ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', undefined],
    ['deflate', undefined],
    ['zstd', undefined],
    ['gzip, gzip', undefined],
  ])('reads Content-Encoding %p as %p', (header, coding) => {
    expect(codingOf(header === undefined ? {} : { 'content-encoding': header })).toBe(coding);
  });
});

describe('gunzipBody', () => {
  it('decodes gzip and reports the bytes received as sent', async () => {
    const text = Buffer.from('{"fixes":[]}\n'.repeat(10_000));
    const compressed = gzipSync(text);
    const body = gunzipBody(wire(compressed).payload, limits);
    expect(await drain(body)).toEqual(text);
    expect(body.receivedEncodedLength).toBe(compressed.length);
  });

  it.each([
    ['not gzip at all', Buffer.from('{"fixes":[]}')],
    ['truncated', gzipSync(Buffer.from('x'.repeat(10_000))).subarray(0, 20)],
    ['a corrupt deflate stream', Buffer.concat([gzipSync(Buffer.from('hello')).subarray(0, 10), Buffer.alloc(40, 7)])],
    ['empty', Buffer.alloc(0)],
  ])('refuses a body that is %s with 400 REQUEST.ENCODING_INVALID', async (_name, bytes) => {
    expect(await problemOf(gunzipBody(wire(bytes).payload, limits))).toEqual({
      status: 400,
      code: 'REQUEST.ENCODING_INVALID',
    });
  });

  it('stops a gzip bomb at the decompressed limit, without reading the rest of it', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * MIB));
    expect(bomb.length).toBeLessThan(limits.wireBytes);
    const { payload, pulled } = wire(bomb, 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(await problemOf(gunzipBody(payload, limits))).toEqual({ status: 413, code: 'REQUEST.TOO_LARGE' });
    // 4 MiB decoded is ~4 KiB of this bomb, plus what the stream buffers hold (16 KiB each): the
    // decoder stopped pulling long before the end of the 200 KiB.
    expect(pulled()).toBeLessThan(128 * 1024);
    expect(bomb.length).toBeGreaterThan(192 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MIB);
  });

  it('refuses more bytes as sent than the body limit with 413 REQUEST.TOO_LARGE', async () => {
    const incompressible = gzipSync(randomBytes(2 * MIB));
    expect(incompressible.length).toBeGreaterThan(limits.wireBytes);
    expect(await problemOf(gunzipBody(wire(incompressible).payload, limits))).toEqual({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
    });
  });
});
