import type { Readable } from 'node:stream';
import { ErrorCodes } from '@meridian/contracts/core';
import { TelemetryErrors } from '@meridian/contracts/telemetry';
import { problemFromCode } from '@meridian/gateway/util-http';
import { type FixRejection, malformedLine } from './fix-validation';

/** An NDJSON telemetry body, parsed: one item per fix line, and the lines that were not JSON. */
export class NdjsonFixes {
  readonly items: unknown[] = [];
  readonly malformed: FixRejection[] = [];
}

export interface NdjsonLimits {
  /** One fix line more than this stops the reading: 413 TELEMETRY.TOO_MANY_FIXES. */
  readonly maxFixes: number;
  /** One byte more than this stops the reading: 413 REQUEST.TOO_LARGE. */
  readonly maxBytes: number;
}

/** A fix is a few hundred bytes; a longer line is refused rather than held in memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** Only space, tab, CR, VT, FF between `from` and `to`: blank without decoding (trim() judges the rest). */
function isAsciiBlank(bytes: Buffer, from = 0, to = bytes.length): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0b && b !== 0x0c) return false;
  }
  return true;
}

/**
 * Parses NDJSON as its bytes arrive. Each line one fix; a line that is not JSON is rejected on its
 * own; blank lines are not fixes. Lines are split on the newline byte, which never occurs inside a
 * multi-byte UTF-8 character, so a character split across chunks is decoded whole.
 */
export class NdjsonParser {
  private readonly result = new NdjsonFixes();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lineNo = 0;
  private bytes = 0;

  constructor(private readonly limits: NdjsonLimits) {}

  /** Takes the next chunk; throws the problem to answer once a limit is passed. */
  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) {
      throw problemFromCode(ErrorCodes.requestTooLarge, `the body is larger than ${this.limits.maxBytes} bytes`);
    }
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      // Blank lines are only counted, without copying or decoding: a body of nothing else (a gzip
      // bomb of newlines) costs a byte loop.
      if (this.pending.length > 0 || !isAsciiBlank(chunk, start, nl)) {
        this.line(this.completed(chunk.subarray(start, nl)));
        start = nl + 1;
        continue;
      }
      let end = nl + 1;
      while (end < chunk.length && chunk[end] === NEWLINE) end++;
      this.lineNo += end - nl;
      start = end;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** The body ended: the last line needs no newline. */
  end(): NdjsonFixes {
    this.line(this.completed(Buffer.alloc(0)));
    return this.result;
  }

  private checkLength(bytes: number): void {
    if (bytes <= MAX_LINE_BYTES) return;
    throw problemFromCode(ErrorCodes.requestTooLarge, `line ${this.lineNo + 1} is longer than ${MAX_LINE_BYTES} bytes`);
  }

  private hold(part: Buffer): void {
    this.pendingBytes += part.length;
    this.checkLength(this.pendingBytes);
    this.pending.push(part);
  }

  private completed(last: Buffer): Buffer {
    if (this.pending.length === 0) {
      this.checkLength(last.length);
      return last;
    }
    this.hold(last);
    const line = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private line(bytes: Buffer): void {
    this.lineNo += 1;
    if (isAsciiBlank(bytes)) return;
    const text = bytes.toString('utf8');
    if (text.trim() === '') return;
    const { items, malformed } = this.result;
    const index = items.length;
    if (index >= this.limits.maxFixes) {
      throw problemFromCode(TelemetryErrors.fixTooManyFixes, `at most ${this.limits.maxFixes} fixes per request`);
    }
    try {
      items.push(JSON.parse(text));
    } catch {
      items.push(undefined);
      malformed.push(malformedLine(index, this.lineNo));
    }
  }
}

/**
 * Reads an NDJSON body to its end, line by line as it arrives. At the first limit passed it stops
 * reading (the rest of the request stays unread) and rejects with the problem to answer.
 */
export function readNdjson(body: Readable, limits: NdjsonLimits): Promise<NdjsonFixes> {
  const parser = new NdjsonParser(limits);
  return new Promise((resolve, reject) => {
    const settle = (err?: unknown): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', settle);
      if (err === undefined) return;
      body.pause();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk);
      } catch (err) {
        settle(err);
      }
    };
    const onEnd = (): void => {
      settle();
      try {
        resolve(parser.end());
      } catch (err) {
        reject(err);
      }
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', settle);
  });
}
