import type { IncomingHttpHeaders } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes } from '@meridian/contracts/core';
import { problemFromCode } from '@meridian/gateway/util-http';

export interface BodyLimits {
  /** Bytes as sent (compressed or not): GATEWAY_BODY_LIMIT_BYTES. */
  readonly wireBytes: number;
  /** Bytes once decompressed: GATEWAY_DECOMPRESSED_LIMIT_BYTES. */
  readonly decodedBytes: number;
}

/** A decoded body. Fastify checks `receivedEncodedLength` against Content-Length and its body limit. */
export type DecodedBody = Readable & { receivedEncodedLength: number };

export type Coding = 'identity' | 'gzip';

/** The body's content coding; undefined for one the gateway does not decode (br, deflate, a list). */
export function codingOf(headers: IncomingHttpHeaders): Coding | undefined {
  const value = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  // RFC 9110 §8.4.1.3: x-gzip is gzip.
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  return undefined;
}

const hasBody = (headers: IncomingHttpHeaders): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

export const tooLarge = (what: string, limit: number) =>
  problemFromCode(ErrorCodes.requestTooLarge, `the body is larger than ${limit} bytes ${what}`);

/** 413 before reading a byte when the declared length is already over the limit. */
export function checkContentLength(headers: IncomingHttpHeaders, limit: number): void {
  if (Number(headers['content-length']) > limit) throw tooLarge('as sent', limit);
}

/** Passes bytes on until more than `limit` have gone through, then fails with `error`. */
class ByteLimit extends Transform {
  bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly error: () => Error,
    private readonly counted: (bytes: number) => void = () => undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.counted(this.bytes);
    if (this.bytes > this.limit) callback(this.error());
    else callback(null, chunk);
  }
}

/**
 * Gunzips a body as it arrives. Every stage holds at most a stream buffer (16 KiB), so memory stays
 * bounded whatever the ratio; past either limit, or on corrupt gzip, the decoding stops, the rest of
 * the request is left unread and the returned stream fails with the problem to answer.
 */
export function gunzipBody(payload: Readable, limits: BodyLimits): DecodedBody {
  const body = new ByteLimit(limits.decodedBytes, () => tooLarge('once decompressed', limits.decodedBytes));
  const decoded = body as unknown as DecodedBody;
  decoded.receivedEncodedLength = 0;
  const wire = new ByteLimit(
    limits.wireBytes,
    () => tooLarge('as sent', limits.wireBytes),
    (bytes) => (decoded.receivedEncodedLength = bytes),
  );
  const gunzip = createGunzip();
  let stopped = false;
  const stop = (err?: Error): void => {
    if (stopped) return;
    stopped = true;
    payload.unpipe(wire);
    wire.destroy();
    gunzip.destroy();
    if (err) body.destroy(err);
  };
  payload.once('error', (err) => stop(err));
  wire.on('error', (err) => stop(err));
  gunzip.on('error', (err) =>
    stop(problemFromCode(ErrorCodes.requestEncodingInvalid, `the body is not valid gzip: ${err.message}`)),
  );
  // Also the guard that keeps a late error from going unhandled once a parser stopped listening.
  body.on('error', () => stop());
  body.once('close', () => stop());
  payload.pipe(wire).pipe(gunzip).pipe(body);
  return decoded;
}

/**
 * Fastify `preParsing` hook: `Content-Encoding: gzip` bodies are decoded as a stream for every
 * parser; a coding the gateway does not decode is 415 before the body is read.
 */
export function contentEncodingHook(limits: BodyLimits) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable> => {
    if (!hasBody(request.headers)) return payload;
    const coding = codingOf(request.headers);
    if (coding === 'identity') return payload;
    try {
      if (coding === undefined) {
        throw problemFromCode(
          ErrorCodes.requestUnsupportedMediaType,
          `Content-Encoding ${request.headers['content-encoding']} is not supported: send gzip or identity`,
        );
      }
      checkContentLength(request.headers, limits.wireBytes);
    } catch (err) {
      // The body stays unread: the connection cannot carry another request.
      void reply.header('connection', 'close');
      throw err;
    }
    const body = gunzipBody(payload, limits);
    // A parser that gave up early (Fastify's own body limit) leaves nothing to decode for.
    reply.raw.once('close', () => body.destroy());
    return body;
  };
}
