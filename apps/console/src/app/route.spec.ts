import { describe, expect, it } from '@jest/globals';
import { parseRoute } from './route';

describe('console routes (hash)', () => {
  it.each([
    ['', { screen: 'live', rest: [] }],
    ['#/', { screen: 'live', rest: [] }],
    ['#/zones', { screen: 'zones', rest: [] }],
    ['#/missions/0193-abc', { screen: 'missions', rest: ['0193-abc'] }],
    ['#/playback/a%2Fb', { screen: 'playback', rest: ['a/b'] }],
  ])('%s → %j', (hash, route) => expect(parseRoute(hash)).toEqual(route));

  it('sends an unknown screen to the live map, dropping what followed it', () => {
    expect(parseRoute('#/admin/secrets')).toEqual({ screen: 'live', rest: [] });
  });
});
