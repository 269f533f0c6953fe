import { describe, expect, it } from '@jest/globals';
import { DeliveryId, WebhookEventFilter } from '@meridian/contracts/webhooks';
import { deliveryIdOf, filterMatches, filtersMatch, orderingKeyOf, shortEventName } from './event-names';

describe('event names and filters', () => {
  it.each([
    ['meridian.projection.geofence.entered.v1', 'geofence.entered'],
    ['meridian.workflow.asset.registered.v1', 'asset.registered'],
    ['meridian.workflow.mission.transitioned.v2', 'mission.transitioned'],
    ['meridian.geo-query.export.ready.v1', 'export.ready'],
    ['custom.thing.v3', 'custom.thing'],
  ])('%s is called %s', (type, name) => {
    expect(shortEventName(type)).toBe(name);
  });

  it.each([
    ['*', 'geofence.entered', true],
    ['geofence.entered', 'geofence.entered', true],
    ['geofence.entered', 'geofence.exited', false],
    ['geofence.*', 'geofence.exited', true],
    ['geofence.*', 'geofence', false],
    ['geofence.*', 'geofences.entered', false],
    ['mission.*', 'mission.timer.fired', true],
    ['mission.timer.*', 'mission.timer.fired', true],
    ['mission.timer.*', 'mission.created', false],
    ['asset.registered', 'asset.registered.extra', false],
  ])('filter %s takes %s: %s', (filter, name, expected) => {
    expect(WebhookEventFilter.safeParse(filter).success).toBe(true);
    expect(filterMatches(filter, name)).toBe(expected);
  });

  it('matches when any filter of a subscription takes the event', () => {
    expect(filtersMatch(['asset.registered', 'geofence.*'], 'geofence.entered')).toBe(true);
    expect(filtersMatch(['asset.registered', 'mission.*'], 'geofence.entered')).toBe(false);
  });

  it('derives one delivery id per (subscription, event), valid for the contract', () => {
    const a = deliveryIdOf('0193f1de-0000-7000-8000-000000000001', 'event-1');
    expect(a).toBe(deliveryIdOf('0193f1de-0000-7000-8000-000000000001', 'event-1'));
    expect(a).not.toBe(deliveryIdOf('0193f1de-0000-7000-8000-000000000002', 'event-1'));
    expect(a).not.toBe(deliveryIdOf('0193f1de-0000-7000-8000-000000000001', 'event-2'));
    expect(a).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(DeliveryId.safeParse(a).success).toBe(true);
  });

  it('orders by the entity an event is about', () => {
    expect(orderingKeyOf({ id: 'e', data: { missionId: 'm1', assetId: 'a1' } })).toBe('missionId:m1');
    expect(orderingKeyOf({ id: 'e', subject: 'z9', data: { assetId: 'a1', zoneId: 'z9' } })).toBe('assetId:a1');
    expect(orderingKeyOf({ id: 'e', subject: 's', data: { other: 1 } })).toBe('subject:s');
    expect(orderingKeyOf({ id: 'e', data: null })).toBe('event:e');
  });
});
