import { describe, expect, it } from '@jest/globals';
import { afterFailure, DEFAULT_RETRY_SCHEDULE_MS, maxAttempts, parseRetrySchedule, withJitter } from './retry-schedule';

describe('the retry schedule', () => {
  const schedule = { delaysMs: DEFAULT_RETRY_SCHEDULE_MS, jitter: 0.2 };

  it('defaults to the Standard Webhooks guidance: 8 attempts, 5 s up to 10 h apart', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000]);
    expect(maxAttempts(schedule)).toBe(8);
  });

  it('retries after each delay in turn and gives up after the last', () => {
    const middle = () => 0.5; // no jitter at the middle of the range
    expect(afterFailure(schedule, 1, middle)).toEqual({ kind: 'retry', inMs: 5000 });
    expect(afterFailure(schedule, 2, middle)).toEqual({ kind: 'retry', inMs: 300000 });
    expect(afterFailure(schedule, 7, middle)).toEqual({ kind: 'retry', inMs: 36000000 });
    expect(afterFailure(schedule, 8, middle)).toEqual({ kind: 'dead' });
    expect(afterFailure({ delaysMs: [], jitter: 0.2 }, 1, middle)).toEqual({ kind: 'dead' });
  });

  it('spreads each delay by at most ±20 %, over the whole range', () => {
    expect(withJitter(10_000, 0.2, 0)).toBe(8000);
    expect(withJitter(10_000, 0.2, 0.5)).toBe(10_000);
    expect(withJitter(10_000, 0.2, 0.999999)).toBe(12_000);
    const seen = Array.from({ length: 2000 }, () => afterFailure(schedule, 2));
    const delays = seen.map((s) => (s.kind === 'retry' ? s.inMs : -1));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(240_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(360_000);
    // Spread, not constant: both halves of the range are used.
    expect(delays.some((d) => d < 270_000) && delays.some((d) => d > 330_000)).toBe(true);
  });

  it('parses a configured schedule and refuses a malformed one', () => {
    expect(parseRetrySchedule('100, 200,300')).toEqual([100, 200, 300]);
    expect(() => parseRetrySchedule('100,,200')).toThrow();
    expect(() => parseRetrySchedule('1s,2s')).toThrow();
    expect(() => parseRetrySchedule('-5')).toThrow();
  });
});
