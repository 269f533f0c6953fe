import { describe, expect, it } from '@jest/globals';
import { type Offered, Throttle } from './throttle';

const fix = (key: string, at: number): Offered<string> => ({ key, at, value: `${key}@${at}` });
const take = (t: Throttle<string>, items: Offered<string>[], now: number): readonly string[] => {
  const d = t.offer(items, now);
  d.apply();
  return d.send;
};

describe('Throttle (positions per asset)', () => {
  it('sends the newest of a batch at once, then holds the newest until the interval ends (trailing)', () => {
    const t = new Throttle<string>(1000);
    expect(take(t, [fix('a', 1), fix('a', 3), fix('a', 2)], 0)).toEqual(['a@3']);
    expect(take(t, [fix('a', 4)], 100)).toEqual([]);
    expect(take(t, [fix('a', 6), fix('a', 5)], 200)).toEqual([]);
    expect(t.due(999).send).toEqual([]);
    const due = t.due(1000);
    expect(due.send).toEqual(['a@6']);
    due.apply();
    expect(t.held).toBe(0);
    expect(t.due(5000).send).toEqual([]);
  });

  it('keeps assets apart', () => {
    const t = new Throttle<string>(1000);
    expect(take(t, [fix('a', 1), fix('b', 1)], 0)).toEqual(['a@1', 'b@1']);
    expect(take(t, [fix('a', 2)], 10)).toEqual([]);
    expect(take(t, [fix('c', 2)], 10)).toEqual(['c@2']);
  });

  it('never sends a fix older than the last one sent for the asset (a late fix)', () => {
    const t = new Throttle<string>(1000);
    expect(take(t, [fix('a', 10)], 0)).toEqual(['a@10']);
    expect(take(t, [fix('a', 5)], 5000)).toEqual([]);
    expect(take(t, [fix('a', 11)], 5000)).toEqual(['a@11']);
  });

  it('changes nothing until the send is applied: a failed append is retried with the same result', () => {
    const t = new Throttle<string>(1000);
    expect(t.offer([fix('a', 1)], 0).send).toEqual(['a@1']); // not applied: the append failed
    expect(take(t, [fix('a', 1)], 10)).toEqual(['a@1']);
    const held = t.offer([fix('a', 2)], 20);
    expect(held.send).toEqual([]);
    expect(t.held).toBe(0); // held only once applied
    held.apply();
    expect(t.held).toBe(1);
    expect(t.due(1010).send).toEqual(['a@2']); // not applied
    expect(t.held).toBe(1);
  });

  it('a newer fix sent at the leading edge replaces what was held', () => {
    const t = new Throttle<string>(1000);
    take(t, [fix('a', 1)], 0);
    take(t, [fix('a', 2)], 500);
    expect(take(t, [fix('a', 3)], 1500)).toEqual(['a@3']);
    expect(t.held).toBe(0);
  });

  it('interval 0 sends every fix in order, still never an older one', () => {
    const t = new Throttle<string>(0);
    expect(take(t, [fix('a', 1), fix('a', 2), fix('a', 2), fix('a', 0), fix('b', 1)], 0)).toEqual([
      'a@1',
      'a@2',
      'b@1',
    ]);
    expect(take(t, [fix('a', 2), fix('a', 3)], 0)).toEqual(['a@3']);
  });
});
