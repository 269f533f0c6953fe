import { describe, expect, it } from '@jest/globals';
import type { OgcItemsPage } from '@meridian/contracts/ogc';
import { featureCollection } from './items.controller';

describe('items body', () => {
  const feature = { type: 'Feature' as const, id: 'a', geometry: null, properties: {} };
  const page = (numberMatched: number | null): OgcItemsPage => ({
    items: [feature],
    after: null,
    before: null,
    numberMatched,
  });
  const now = new Date('2025-06-01T00:00:00Z');

  it('states numberMatched when geo-query counted every match', () => {
    expect(featureCollection(page(7), [], now)).toEqual({
      type: 'FeatureCollection',
      timeStamp: '2025-06-01T00:00:00.000Z',
      numberMatched: 7,
      numberReturned: 1,
      features: [feature],
      links: [],
    });
  });

  it('leaves numberMatched out (OGC allows it) when more matched than geo-query counts', () => {
    const body = featureCollection(page(null), [], now);
    expect('numberMatched' in body).toBe(false);
    expect(body.numberReturned).toBe(1);
  });
});
