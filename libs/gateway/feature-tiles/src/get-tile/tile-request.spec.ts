import { describe, expect, it } from '@jest/globals';
import { TileErrors } from '@meridian/contracts/tiles';
import { ProblemException } from '@meridian/gateway/util-http';
import { cacheControl, etagOf, notModified, tileQuery } from './tile-request';

const now = Date.parse('2025-06-01T12:00:00Z');
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ProblemException ? err.code : String(err);
  }
  return undefined;
};
const p = (layer: string, z: string, x: string, y: string) => ({ layer, z, x, y });

describe('tileQuery', () => {
  it('reads layer, z, x and y.mvt; positions get the last hour by default', () => {
    expect(tileQuery(p('zones', '3', '4', '5.mvt'), {}, now)).toEqual({ layer: 'zones', z: 3, x: 4, y: 5 });
    expect(tileQuery(p('positions', '0', '0', '0.mvt'), {}, now)).toEqual({
      layer: 'positions',
      z: 0,
      x: 0,
      y: 0,
      from: '2025-06-01T11:00:00.000Z',
      to: '2025-06-01T12:00:00.000Z',
    });
    expect(tileQuery(p('assets', '22', String(2 ** 22 - 1), '0.mvt'), {}, now).x).toBe(2 ** 22 - 1);
  });

  it('an unknown layer is TILE.LAYER_UNKNOWN', () => {
    expect(codeOf(() => tileQuery(p('heat', '0', '0', '0.mvt'), {}, now))).toBe(TileErrors.tileLayerUnknown);
  });

  it.each([
    ['x off the grid', p('assets', '2', '4', '0.mvt')],
    ['zoom 23', p('assets', '23', '0', '0.mvt')],
    ['no .mvt', p('assets', '1', '0', '0')],
    ['a negative y', p('assets', '1', '0', '-1.mvt')],
    ['a fraction', p('assets', '1', '0.5', '0.mvt')],
    ['not a number', p('assets', 'a', '0', '0.mvt')],
  ])('%s is TILE.COORDINATES_INVALID', (_, params) => {
    expect(codeOf(() => tileQuery(params, {}, now))).toBe(TileErrors.tileCoordinatesInvalid);
  });

  it('windows: only for positions, RFC 3339, to after from, at most 7 days', () => {
    const zones = p('zones', '0', '0', '0.mvt');
    const positions = p('positions', '0', '0', '0.mvt');
    expect(codeOf(() => tileQuery(zones, { from: '2025-06-01T10:00:00Z' }, now))).toBe(TileErrors.tileWindowInvalid);
    expect(codeOf(() => tileQuery(positions, { from: 'yesterday' }, now))).toBe(TileErrors.tileWindowInvalid);
    expect(codeOf(() => tileQuery(positions, { from: '2025-06-01T10:00:00Z', to: '2025-06-01T10:00:00Z' }, now))).toBe(
      TileErrors.tileWindowInvalid,
    );
    expect(codeOf(() => tileQuery(positions, { from: '2025-05-01T00:00:00Z', to: '2025-05-09T00:00:00Z' }, now))).toBe(
      TileErrors.tileWindowTooLong,
    );
    expect(codeOf(() => tileQuery(positions, { bbox: '1,2,3,4' }, now))).toBe(TileErrors.tileWindowInvalid);
    expect(tileQuery(positions, { from: '2025-05-01T00:00:00+02:00' }, now)).toMatchObject({
      from: '2025-05-01T00:00:00+02:00',
      to: '2025-04-30T23:00:00.000Z',
    });
  });

  it.each([
    ['year 0000, which PostgreSQL refuses', { from: '0000-01-01T00:00:00Z' }],
    ['a default `from` in year 0000', { to: '0001-01-01T00:30:00Z' }],
    ['an offset that moves year 0001 back to year 0000', { from: '0001-01-01T00:30:00+01:00' }],
    ['a default `to` past year 9999', { from: '9999-12-31T23:30:00Z' }],
    ['an offset that moves year 9999 past it', { from: '9999-12-31T20:00:00Z', to: '9999-12-31T23:00:00-05:00' }],
  ])('%s is TILE.WINDOW_INVALID', (_, window) => {
    expect(codeOf(() => tileQuery(p('positions', '0', '0', '0.mvt'), window, now))).toBe(TileErrors.tileWindowInvalid);
  });

  it('the first and last instants of years 0001–9999 are a window', () => {
    const positions = p('positions', '0', '0', '0.mvt');
    expect(tileQuery(positions, { from: '0001-01-01T00:00:00Z' }, now)).toMatchObject({
      from: '0001-01-01T00:00:00Z',
      to: '0001-01-01T01:00:00.000Z',
    });
    expect(tileQuery(positions, { to: '9999-12-31T23:59:59.999Z' }, now)).toMatchObject({
      from: '9999-12-31T22:59:59.999Z',
    });
  });
});

describe('cacheControl', () => {
  const day = 86_400_000;
  it('assets 5 s, zones 60 s, positions 5 s unless the window is older than the oldest accepted fix', () => {
    expect(cacheControl({ layer: 'assets', z: 0, x: 0, y: 0 }, now, 30 * day)).toBe('private, max-age=5');
    expect(cacheControl({ layer: 'zones', z: 0, x: 0, y: 0 }, now, 30 * day)).toBe('private, max-age=60');
    const window = (to: number) => ({
      layer: 'positions' as const,
      z: 0,
      x: 0,
      y: 0,
      from: '',
      to: new Date(to).toISOString(),
    });
    expect(cacheControl(window(now - day), now, 30 * day)).toBe('private, max-age=5');
    expect(cacheControl(window(now - 31 * day), now, 30 * day)).toBe('private, max-age=86400');
  });
});

describe('etagOf / notModified', () => {
  it('the same bytes give the same strong tag, other bytes another', () => {
    const a = etagOf(Buffer.from([1, 2, 3]));
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf(Buffer.from([1, 2, 3]))).toBe(a);
    expect(etagOf(Buffer.from([1, 2, 4]))).not.toBe(a);
  });

  it('If-None-Match matches a listed tag (weak or strong) or *', () => {
    const tag = etagOf(Buffer.from('x'));
    expect(notModified(undefined, tag)).toBe(false);
    expect(notModified(`"other", ${tag}`, tag)).toBe(true);
    expect(notModified(`W/${tag}`, tag)).toBe(true);
    expect(notModified('*', tag)).toBe(true);
    expect(notModified('"other"', tag)).toBe(false);
  });
});
