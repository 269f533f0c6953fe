import { describe, expect, it } from '@jest/globals';
import { errorDefinition } from '@meridian/contracts/core';
import { PrincipalAttributes, Role } from '@meridian/contracts/identity';
import {
  type MemberAttributes,
  noAttributes,
  principalRoles,
  ServiceAccountRejections,
  UserRejections,
} from '@meridian/identity/domain';

/*
 * The domain keeps its own vocabulary (it imports only the core contracts); this edge is where the
 * two meet, so this is where a drift between them must fail.
 */
describe('account vocabulary: domain and contracts agree', () => {
  it('has the same roles, in the same order', () => {
    expect([...principalRoles]).toEqual(Role.options);
  });

  it("starts a federated user with the contract's default attributes", () => {
    const defaults: MemberAttributes = PrincipalAttributes.parse({});
    expect(noAttributes).toEqual(defaults);
  });

  it('declares every code the deciders can refuse with, each with an HTTP status', () => {
    for (const code of [...Object.values(UserRejections), ...Object.values(ServiceAccountRejections)]) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});
