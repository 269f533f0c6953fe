import { describe, expect, it } from '@jest/globals';
import { missedSince } from './stream-log';

describe('missedSince (Last-Event-ID within the retention?)', () => {
  const state = { lastGeneratedId: '500-0', firstId: '120-0' };
  it('nothing missed while the id and everything after it are kept', () => {
    expect(missedSince(state, '120-0')).toBe(false);
    expect(missedSince(state, '200-0')).toBe(false);
    expect(missedSince(state, '500-0')).toBe(false);
  });
  it('missed when the oldest entry kept is newer than the id (trimmed, or the stream was recreated)', () => {
    expect(missedSince(state, '119-9')).toBe(true);
  });
  it('missed when everything was trimmed after the id, not when nothing came after it', () => {
    expect(missedSince({ lastGeneratedId: '500-0', firstId: null }, '400-0')).toBe(true);
    expect(missedSince({ lastGeneratedId: '500-0', firstId: null }, '500-0')).toBe(false);
  });
  it('missed when the stream is gone or never generated the id', () => {
    expect(missedSince(null, '200-0')).toBe(true);
    expect(missedSince(state, '501-0')).toBe(true);
  });
});
