import { describe, expect, it } from '@jest/globals';
import { withinBudget } from '../ogc-reads';
import { instantOfMicros, parsePositionId, positionId } from './positions.sql';

describe('position feature ids: <assetId>~<epoch µs>', () => {
  const asset = '0b6f0c8e-1f6e-4c4e-9a43-3d2f7c1e9a10';

  it('turns microseconds into the RFC 3339 instant and back, keeping microseconds', () => {
    expect(instantOfMicros('1740830400123456')).toBe('2025-03-01T12:00:00.123456Z');
    expect(instantOfMicros('1740830400123000')).toBe('2025-03-01T12:00:00.123Z');
    expect(parsePositionId(positionId(asset, '1740830400123456'))).toEqual({
      assetId: asset,
      ts: '2025-03-01T12:00:00.123456Z',
    });
  });

  it.each(['', 'x~1', `${asset}`, `${asset}~`, `${asset}~12.5`, `${asset.toUpperCase()}~1`])(
    'does not read %p as a position id',
    (id) => {
      expect(parsePositionId(id)).toBeNull();
    },
  );
});

describe('reply budget', () => {
  it('cuts a page before the reply would exceed the budget, but always keeps one feature', () => {
    const feature = (i: number) => ({
      type: 'Feature' as const,
      id: String(i),
      geometry: null,
      properties: { pad: 'x'.repeat(1000) },
    });
    const items = Array.from({ length: 10 }, (_, i) => feature(i));
    expect(withinBudget(items, 3500).map((f) => f.id)).toEqual(['0', '1', '2']);
    expect(withinBudget(items, 10)).toHaveLength(1);
    expect(withinBudget(items)).toHaveLength(10);
  });
});
