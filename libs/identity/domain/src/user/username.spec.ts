import { describe, expect, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { federatedUserId, userStreamId } from './user.decide';
import { type UsernameCommand, usernameDecider, type UsernameEvent, usernameStreamId } from './username';
import { UserRejections } from './user.vocabulary';

const now = '2026-11-30T10:00:00.000Z';
const reserve = (userId: string): UsernameCommand => ({
  type: 'ReserveUsername',
  data: { tenantId: 'acme', username: 'ada', userId, now },
});
const reserved = (userId: string): UsernameEvent => ({
  type: 'username.reserved.v1',
  data: { tenantId: 'acme', username: 'ada', userId, reservedAt: now },
});

const username = deciderSpec(usernameDecider);

describe('username reservation decider', () => {
  it('reserves a free username for a user', () => {
    username
      .given([])
      .when(reserve('u1'))
      .then([reserved('u1')]);
  });

  it('lets the same user claim it again (a retried create) without a new event', () => {
    username
      .given([reserved('u1')])
      .when(reserve('u1'))
      .then([]);
  });

  it('refuses a username held by another user', () => {
    username
      .given([reserved('u1')])
      .when(reserve('u2'))
      .thenRejects(UserRejections.usernameTaken, /ada is taken/);
  });
});

describe('stream ids', () => {
  it('never give two (tenant, name) pairs one stream, though tenant ids and names both contain dashes', () => {
    expect(usernameStreamId('a-b', 'c')).not.toBe(usernameStreamId('a', 'b-c'));
    expect(userStreamId('acme', 'u1')).toBe('user-acme/u1');
  });

  it('derive one user id per external identity and tenant', () => {
    const id = federatedUserId('acme', 'https://idp.example', 'ext-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(federatedUserId('acme', 'https://idp.example', 'ext-1')).toBe(id);
    expect(federatedUserId('other', 'https://idp.example', 'ext-1')).not.toBe(id);
    expect(federatedUserId('acme', 'https://idp2.example', 'ext-1')).not.toBe(id);
  });
});
