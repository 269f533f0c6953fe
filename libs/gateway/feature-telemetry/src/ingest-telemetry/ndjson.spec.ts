import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '@meridian/gateway/util-http';
import { type FixRejection, malformedLine } from './fix-validation';
import { MAX_LINE_BYTES, NdjsonFixes, NdjsonParser, readNdjson } from './ndjson';

const roomy = { maxFixes: 10_000, maxBytes: 8 * 1024 * 1024 };

/** The parser before streaming (whole body as a string, then split): the semantics to keep. */
function wholeBody(text: string): { items: unknown[]; malformed: FixRejection[] } {
  const items: unknown[] = [];
  const malformed: FixRejection[] = [];
  text.split('\n').forEach((line, lineNo) => {
    if (line.trim() === '') return;
    const index = items.length;
    try {
      items.push(JSON.parse(line));
    } catch {
      items.push(undefined);
      malformed.push(malformedLine(index, lineNo + 1));
    }
  });
  return { items, malformed };
}

const parse = (chunks: readonly (string | Buffer)[], limits = roomy): NdjsonFixes => {
  const parser = new NdjsonParser(limits);
  for (const c of chunks) parser.push(typeof c === 'string' ? Buffer.from(c) : c);
  return parser.end();
};
const plain = (r: NdjsonFixes) => ({ items: r.items, malformed: r.malformed });
const problemOf = (fn: () => unknown): { status: number; code: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemException) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('no problem thrown');
};

const fix = (n: number) => JSON.stringify({ assetId: 'a', ts: `t${n}`, lon: n, lat: -n });

describe('NdjsonParser', () => {
  it('parses one fix per line', () => {
    expect(plain(parse([`${fix(1)}\n${fix(2)}\n`]))).toEqual({
      items: [JSON.parse(fix(1)), JSON.parse(fix(2))],
      malformed: [],
    });
  });

  it('skips blank and whitespace-only lines without counting them as fixes, but counts them as lines', () => {
    const result = parse([`\n${fix(1)}\n   \n\t\n\nnot json\n${fix(2)}`]);
    expect(result.items).toEqual([JSON.parse(fix(1)), undefined, JSON.parse(fix(2))]);
    expect(result.malformed).toEqual([{ index: 1, code: 'REQUEST.MALFORMED_JSON', detail: 'line 6 is not JSON' }]);
  });

  it('rejects a line that is not JSON on its own, by fix index and line number', () => {
    const result = parse([`${fix(1)}\n{"lon":NaN}\n${fix(2)}\n[1,]\n`]);
    expect(result.items).toEqual([JSON.parse(fix(1)), undefined, JSON.parse(fix(2)), undefined]);
    expect(result.malformed.map((m) => [m.index, m.detail])).toEqual([
      [1, 'line 2 is not JSON'],
      [3, 'line 4 is not JSON'],
    ]);
  });

  it('keeps JSON that is not a fix (null, numbers, arrays) for validation to refuse', () => {
    expect(parse(['null\n42\n[]\n"x"\n{}']).items).toEqual([null, 42, [], 'x', {}]);
  });

  it('takes the last line without a newline, and a trailing newline adds nothing', () => {
    expect(parse([fix(1)]).items).toHaveLength(1);
    expect(parse([`${fix(1)}\n`]).items).toHaveLength(1);
    expect(parse(['']).items).toEqual([]);
  });

  it('accepts CRLF line endings', () => {
    const result = parse([`${fix(1)}\r\n\r\n${fix(2)}\r\nnope\r\n`]);
    expect(result.items).toEqual([JSON.parse(fix(1)), JSON.parse(fix(2)), undefined]);
    expect(result.malformed).toEqual([malformedLine(2, 4)]);
  });

  it('joins a line split across chunks, however it is cut', () => {
    const line = fix(123456);
    for (let cut = 0; cut <= line.length; cut++) {
      const result = parse([`${fix(1)}\n${line.slice(0, cut)}`, `${line.slice(cut)}\n${fix(2)}`]);
      expect(result.items).toEqual([JSON.parse(fix(1)), JSON.parse(line), JSON.parse(fix(2))]);
    }
    expect(parse([...`${fix(1)}\n${fix(2)}`].map((c) => Buffer.from(c))).items).toHaveLength(2);
  });

  it('decodes a multi-byte UTF-8 character split across chunks whole', () => {
    const body = Buffer.from(`{"name":"Zürich 🛰 東京"}\n`);
    for (let cut = 1; cut < body.length; cut++) {
      const result = parse([body.subarray(0, cut), body.subarray(cut)]);
      expect(result.items).toEqual([{ name: 'Zürich 🛰 東京' }]);
    }
    const bytes = [...body].map((b) => Buffer.from([b]));
    expect(parse(bytes).items).toEqual([{ name: 'Zürich 🛰 東京' }]);
  });

  it('gives the same result as parsing the whole body, at every chunk boundary', () => {
    const body = [
      '',
      fix(1),
      '  ',
      '{not json',
      `${fix(2)}\r`,
      '{"name":"Ärger ✓"}',
      '\t',
      'null',
      '[1,]',
      `  ${fix(3)}  `,
      '\u00a0',
      '\r',
      ' \v\f\t ',
      '',
      '',
      '\ufeff{}',
      fix(4),
    ].join('\n');
    const bytes = Buffer.from(body);
    const reference = wholeBody(body);
    expect(reference.malformed.length).toBeGreaterThanOrEqual(3);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(plain(parse([bytes.subarray(0, cut), bytes.subarray(cut)]))).toEqual(reference);
    }
    for (const size of [1, 2, 3, 7, 16]) {
      const chunks = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(plain(parse(chunks))).toEqual(reference);
    }
  });

  it('refuses one fix line more than the limit with 413 TELEMETRY.TOO_MANY_FIXES, blank lines not counted', () => {
    const limits = { maxFixes: 3, maxBytes: 1024 * 1024 };
    expect(parse([`${fix(1)}\n\n${fix(2)}\n  \nbad\n\n`], limits).items).toHaveLength(3);
    expect(problemOf(() => parse([`${fix(1)}\n${fix(2)}\nbad\n${fix(4)}`], limits))).toEqual({
      status: 413,
      code: 'TELEMETRY.TOO_MANY_FIXES',
    });
  });

  it('refuses more bytes than the limit with 413 REQUEST.TOO_LARGE, counting blank lines too', () => {
    const limits = { maxFixes: 10, maxBytes: 100 };
    expect(parse(['\n'.repeat(100)], limits).items).toEqual([]);
    expect(problemOf(() => parse(['\n'.repeat(60), '\n'.repeat(41)], limits))).toEqual({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
    });
  });

  it('refuses a line longer than MAX_LINE_BYTES before holding it, whole or in pieces', () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 1, 0x20);
    expect(problemOf(() => parse([long, '\n']))).toEqual({ status: 413, code: 'REQUEST.TOO_LARGE' });
    expect(problemOf(() => parse([long.subarray(0, 10), long.subarray(10)]))).toEqual({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
    });
    const atLimit = Buffer.concat([Buffer.alloc(MAX_LINE_BYTES - 2, 0x20), Buffer.from('{}\n')]);
    expect(parse([atLimit.subarray(0, 5), atLimit.subarray(5)]).items).toEqual([{}]);
  });
});

describe('readNdjson', () => {
  /** A source that records how many chunks were pulled from it. */
  function source(chunks: readonly string[]): { stream: Readable; pulled: () => number } {
    let pulled = 0;
    const stream = new Readable({
      highWaterMark: 1,
      read() {
        this.push(pulled < chunks.length ? Buffer.from(chunks[pulled++]) : null);
      },
    });
    return { stream, pulled: () => pulled };
  }

  it('parses the stream to its end', async () => {
    const body = `${fix(1)}\n${fix(2)}\n\nx\n${fix(3)}`;
    const { stream } = source([body.slice(0, 50), body.slice(50, 51), body.slice(51)]);
    const result = await readNdjson(stream, roomy);
    expect(result).toBeInstanceOf(NdjsonFixes);
    expect(result.items).toEqual([JSON.parse(fix(1)), JSON.parse(fix(2)), undefined, JSON.parse(fix(3))]);
    expect(result.malformed).toEqual([malformedLine(2, 4)]);
  });

  it('stops reading at the fix limit, leaving the rest of the body unread', async () => {
    const chunks = Array.from({ length: 1000 }, (_, i) => `${fix(i)}\n`);
    const { stream, pulled } = source(chunks);
    await expect(readNdjson(stream, { maxFixes: 10, maxBytes: 1024 * 1024 })).rejects.toMatchObject({
      status: 413,
      code: 'TELEMETRY.TOO_MANY_FIXES',
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled()).toBeLessThan(20);
    expect(stream.isPaused()).toBe(true);
  });

  it('rejects with the error of the stream (a decoder refusing the body)', async () => {
    const stream = new Readable({ read: () => undefined });
    const reading = readNdjson(stream, roomy);
    stream.push(Buffer.from(`${fix(1)}\n`));
    stream.destroy(new Error('corrupt'));
    await expect(reading).rejects.toThrow('corrupt');
  });
});
