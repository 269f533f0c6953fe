import { describe, expect, it } from '@jest/globals';
import { inlineParams, sqlLiteral } from './inline-params';

describe('inlineParams', () => {
  it('replaces each $n by the escaped literal of its value, $10 not read as $1', () => {
    const params = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParams('SELECT $1, $10::text, $2', params)).toBe(`SELECT 'v1', 'v10'::text, 'v2'`);
  });

  it('escapes quotes and backslashes, so a value never ends its literal', () => {
    expect(sqlLiteral(`it's`)).toBe(`'it''s'`);
    expect(sqlLiteral('a\\b')).toBe(` E'a\\\\b'`);
    expect(inlineParams('WHERE t = $1', [`x'; DROP TABLE read.positions; --`])).toBe(
      `WHERE t = 'x''; DROP TABLE read.positions; --'`,
    );
  });

  it('writes numbers, nulls, booleans, dates, string arrays and objects as the server reads parameters', () => {
    expect(sqlLiteral(-8.25)).toBe(`'-8.25'`);
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(undefined)).toBe('NULL');
    expect(sqlLiteral(true)).toBe('TRUE');
    expect(sqlLiteral(new Date('2024-05-01T10:00:00Z'))).toBe(`'2024-05-01T10:00:00.000Z'`);
    // The array literal holds a backslash (escaping the quote), so the literal is an E'' string.
    expect(sqlLiteral(['red', 'a"b', "o'k"])).toBe(String.raw` E'{"red","a\\"b","o''k"}'`);
    expect(sqlLiteral({ type: 'Polygon' })).toBe(`'{"type":"Polygon"}'`);
  });

  it('refuses a placeholder without a value and a number that is not finite', () => {
    expect(() => inlineParams('SELECT $2', ['a'])).toThrow('no value for $2');
    expect(() => sqlLiteral(Number.NaN)).toThrow(RangeError);
  });
});
