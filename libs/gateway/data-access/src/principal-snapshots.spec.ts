import { describe, expect, it } from '@jest/globals';
import type { Principal } from '@meridian/contracts/identity';
import { type PrincipalSnapshot, PrincipalSnapshots } from './principal-snapshots';

const principal = (roles: Principal['roles'], subject = 'u-1', tenantId = 'acme'): Principal => ({
  tenantId,
  subject,
  kind: 'user',
  roles,
  platformAdmin: false,
  region: null,
  clearance: 0,
  teams: null,
  hours: null,
});

const snapshot = (version: number, p: Principal, active = true): PrincipalSnapshot => ({
  principal: p,
  name: p.subject,
  active,
  version,
  changedAt: '2025-06-01T00:00:00Z',
});

describe('PrincipalSnapshots', () => {
  it('keeps the highest version, whatever order the snapshots come in', () => {
    const s = new PrincipalSnapshots();
    s.apply(snapshot(2, principal(['admin'])));
    s.apply(snapshot(1, principal(['viewer'])));
    expect(s.get('acme', 'u-1')?.roles).toEqual(['admin']);
    s.apply(snapshot(3, principal(['operator'])));
    expect(s.get('acme', 'u-1')?.roles).toEqual(['operator']);
  });

  it('revokes with active: false, and an older active snapshot does not bring the principal back', () => {
    const s = new PrincipalSnapshots();
    s.apply(snapshot(1, principal(['viewer'])));
    s.apply(snapshot(4, principal(['viewer']), false));
    expect(s.get('acme', 'u-1')).toBeUndefined();
    s.apply(snapshot(3, principal(['admin'])));
    expect(s.get('acme', 'u-1')).toBeUndefined();
    expect(s.size).toBe(0);
    s.apply(snapshot(5, principal(['viewer']))); // re-enabled later
    expect(s.get('acme', 'u-1')?.roles).toEqual(['viewer']);
  });

  it('keys principals by tenant and subject', () => {
    const s = new PrincipalSnapshots();
    s.apply(snapshot(1, principal(['admin'], 'u-1', 'acme')));
    s.apply(snapshot(1, principal(['viewer'], 'u-1', 'other')));
    expect(s.get('acme', 'u-1')?.roles).toEqual(['admin']);
    expect(s.get('other', 'u-1')?.roles).toEqual(['viewer']);
    expect(s.get('acme', 'u-2')).toBeUndefined();
    expect(s.size).toBe(2);
  });

  it('lists one tenant and kind in subject order, disabled principals included, a page at a time', () => {
    const s = new PrincipalSnapshots();
    s.apply(snapshot(1, principal(['viewer'], 'u-3')));
    s.apply(snapshot(1, principal(['admin'], 'u-1')));
    s.apply(snapshot(2, principal(['viewer'], 'u-2'), false));
    s.apply(snapshot(1, principal(['admin'], 'u-0', 'other')));
    s.apply(snapshot(1, { ...principal([], 'client-a'), kind: 'service-account' }));
    const first = s.list('acme', 'user', 2);
    expect(first.items.map((e) => [e.principal.subject, e.active, e.version])).toEqual([
      ['u-1', true, 1],
      ['u-2', false, 2],
    ]);
    expect(first.more).toBe(true);
    const rest = s.list('acme', 'user', 2, 'u-2');
    expect([rest.items.map((e) => e.principal.subject), rest.more]).toEqual([['u-3'], false]);
    expect(s.list('acme', 'service-account', 10).items.map((e) => e.principal.subject)).toEqual(['client-a']);
    // A disabled principal reads as such, but authentication never gets it.
    expect(s.entry('acme', 'u-2')).toMatchObject({ active: false, name: 'u-2' });
    expect(s.get('acme', 'u-2')).toBeUndefined();
    expect(s.entry('other', 'u-1')).toBeUndefined();
  });
});
