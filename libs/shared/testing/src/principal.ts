import { Principal } from '@meridian/contracts/identity';

/**
 * The `meridian-principal` header value (Envelope.principal) of a principal of `tenantId` who may
 * do anything there unless `overrides` say otherwise: an admin user with clearance 4, no region,
 * every team, any hour. Checked against the contract, so a test cannot send a malformed one by
 * mistake (send a hand-written string to test that).
 */
export function testPrincipal(tenantId: string, overrides: Partial<Principal> = {}): string {
  const principal: Principal = {
    tenantId,
    subject: 'test-admin',
    kind: 'user',
    roles: ['admin'],
    platformAdmin: false,
    region: null,
    clearance: 4,
    teams: null,
    hours: null,
    ...overrides,
  };
  return JSON.stringify(Principal.parse(principal));
}
