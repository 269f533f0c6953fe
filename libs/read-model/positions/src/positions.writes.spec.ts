import { describe, expect, it } from '@jest/globals';
import { firstPerAssetAndTime, oneTenantPerAsset, type PositionRow } from './positions.writes';

const a = '0190d5a2-0000-7000-8000-00000000000a';
const b = '0190d5a2-0000-7000-8000-00000000000b';
const row = (assetId: string, ts: string, lon: number): PositionRow => ({ tenantId: 'acme', assetId, ts, lon, lat: 0 });

describe('firstPerAssetAndTime', () => {
  it.each([
    ['.000Z and Z', '2025-03-10T10:00:00.000Z', '2025-03-10T10:00:00Z'],
    ['Z and +01:00', '2025-03-10T10:00:00Z', '2025-03-10T11:00:00+01:00'],
    ['microseconds, trailing zero or not', '2025-03-10T10:00:00.1234Z', '2025-03-10T10:00:00.123400Z'],
    ['microseconds across offsets', '2025-03-10T10:00:00.123456Z', '2025-03-10T05:30:00.123456-04:30'],
  ])('keeps the first of two fixes of one asset at the same instant (%s)', (_name, first, second) => {
    expect(firstPerAssetAndTime([row(a, first, 1), row(a, second, 2)])).toEqual([row(a, first, 1)]);
    expect(firstPerAssetAndTime([row(a, second, 2), row(a, first, 1)])).toEqual([row(a, second, 2)]);
  });

  it('keeps fixes of different assets, or a microsecond apart, in batch order', () => {
    const rows = [
      row(a, '2025-03-10T10:00:00.000001Z', 1),
      row(b, '2025-03-10T10:00:00Z', 2),
      row(a, '2025-03-10T10:00:00Z', 3),
      row(a, '2025-03-10T10:00:00.000002Z', 4),
    ];
    expect(firstPerAssetAndTime(rows)).toEqual(rows);
  });

  it('drops every later repeat, not only the adjacent one', () => {
    const rows = [
      row(a, '2025-03-10T10:00:00Z', 1),
      row(b, '2025-03-10T10:00:00Z', 2),
      row(a, '2025-03-10T10:00:05Z', 3),
      row(a, '2025-03-10T10:00:00.000000Z', 4),
      row(b, '2025-03-10T12:00:00+02:00', 5),
    ];
    expect(firstPerAssetAndTime(rows).map((r) => r.lon)).toEqual([1, 2, 3]);
  });
});

describe('oneTenantPerAsset', () => {
  const fix = (assetId: string, tenantId: string, lon: number): PositionRow => ({
    tenantId,
    assetId,
    ts: `2026-11-30T10:00:0${lon}Z`,
    lon,
    lat: 0,
  });

  it('keeps the first tenant seen for an asset and drops the fixes of another tenant for it', () => {
    const rows = [fix('a', 't1', 1), fix('a', 't2', 2), fix('b', 't2', 3), fix('a', 't1', 4)];
    expect(oneTenantPerAsset(rows).map((r) => r.lon)).toEqual([1, 3, 4]);
  });

  it('keeps every fix when each asset has one tenant', () => {
    const rows = [fix('a', 't1', 1), fix('b', 't2', 2), fix('a', 't1', 3)];
    expect(oneTenantPerAsset(rows)).toEqual(rows);
  });
});
