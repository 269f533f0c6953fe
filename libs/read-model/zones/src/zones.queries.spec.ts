import { describe, expect, it } from '@jest/globals';
import { splitVisitCursor } from './zones.queries';

describe('splitVisitCursor', () => {
  it('starts before everything without a cursor, and splits a cursor the queries made', () => {
    expect(splitVisitCursor(undefined)).toEqual(['-infinity', '00000000-0000-0000-0000-000000000000']);
    const id = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de0a1';
    expect(splitVisitCursor(`2026-11-30T10:00:00.123456Z|${id}`)).toEqual(['2026-11-30T10:00:00.123456Z', id]);
  });

  it.each([
    'yesterday|0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de0a1',
    '2026-11-30T10:00:00.123456Z',
    '2026-11-30T10:00:00.123456Z|x',
  ])('refuses %s with QUERY.CURSOR_INVALID (no cast error, no silent skip)', (cursor) => {
    expect(() => splitVisitCursor(cursor)).toThrow(expect.objectContaining({ code: 'QUERY.CURSOR_INVALID' }));
  });
});
