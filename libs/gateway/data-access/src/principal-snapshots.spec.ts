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
});
