import { describe, expect, it } from '@jest/globals';
import type { Principal } from '@meridian/contracts/identity';
import { identityAdminActor } from './admin-actor';

const admin = (overrides: Partial<Principal> = {}): Principal => ({
  tenantId: 'acme',
  subject: 'acme-admin',
  kind: 'service-account',
  roles: ['admin'],
  platformAdmin: false,
  region: null,
  clearance: 4,
  teams: null,
  hours: null,
  ...overrides,
});
const now = new Date('2026-11-30T12:00:00Z');
const acting = (p: Principal) => identityAdminActor({ tenantId: 'acme', principal: JSON.stringify(p) }, now);
const square: Principal['region'] = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [9, 47],
      [9, 48],
      [8, 48],
      [8, 47],
    ],
  ],
};

describe('identityAdminActor: who may manage identities', () => {
  it('lets an unrestricted administrator manage identities, recording its subject', () => {
    expect(acting(admin())).toEqual({ actor: 'acme-admin', access: { allow: true } });
  });

  it.each<[string, Partial<Principal>]>([
    ['a region', { region: square }],
    ['clearance below 4', { clearance: 1 }],
    ['a team list', { teams: ['red'] }],
  ])('refuses an administrator restricted by %s: it could lift its own restrictions', (_, restriction) => {
    expect(acting(admin(restriction)).access).toMatchObject({ allow: false, code: 'AUTH.FORBIDDEN_ROLE' });
  });

  it('refuses a viewer by role, and a principal of another tenant', () => {
    expect(acting(admin({ roles: ['viewer'] })).access).toMatchObject({ allow: false, code: 'AUTH.FORBIDDEN_ROLE' });
    expect(() => acting(admin({ tenantId: 'other' }))).toThrow(/another tenant/);
  });
});
