import { describe, expect, it } from '@jest/globals';
import { SseParser } from '@meridian/shared/testing';
import { sseComment, sseFrame, sseRetry } from './sse';

describe('SSE framing', () => {
  it('writes id, event and data, ending with a blank line', () => {
    expect(sseFrame({ id: '1-0', event: 'position', data: '{"a":1}' })).toBe(
      'id: 1-0\nevent: position\ndata: {"a":1}\n\n',
    );
  });

  it('splits multi-line data into data lines, so a newline can never end an event early', () => {
    expect(sseFrame({ data: 'a\nb\r\nc' })).toBe('data: a\ndata: b\ndata: c\n\n');
  });

  it('parses what it writes, across arbitrary chunk boundaries, skipping comments and retry', () => {
    const text =
      sseRetry(2000) +
      sseFrame({ id: '1-0', event: 'position', data: '{"x":1}' }) +
      sseComment('ping') +
      sseFrame({ event: 'gap', data: 'two\nlines' }) +
      sseFrame({ id: '2-5', event: 'geofence.entered', data: '{}' });
    for (const size of [1, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events).toEqual([
        { id: '1-0', event: 'position', data: '{"x":1}' },
        { event: 'gap', data: 'two\nlines' },
        { id: '2-5', event: 'geofence.entered', data: '{}' },
      ]);
      expect(parser.lastEventId).toBe('2-5');
    }
  });

  it('does not emit an event until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1-0\ndata: x\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ id: '1-0', data: 'x' }]);
  });
});
