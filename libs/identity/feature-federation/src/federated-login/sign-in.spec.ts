import { describe, expect, it } from '@jest/globals';
import type { IDToken } from 'openid-client';
import { federatedUserId, noAttributes } from '@meridian/identity/domain';
import { federatedLoginOf, groupsOf } from './sign-in';
import type { TenantFederation } from './tenant-federation';

const issuer = 'https://idp.acme.example/realms/acme';
const federation: TenantFederation = {
  tenantId: 'acme',
  version: 1,
  settings: {
    issuer,
    clientId: 'meridian',
    clientSecret: 'v1.sealed',
    groupRoles: { dispatchers: ['dispatcher'], 'field-ops': ['operator'] },
    defaultRoles: [],
    attributes: noAttributes,
  },
};
const now = Math.floor(Date.parse('2026-12-01T09:00:00Z') / 1000);
const claims = (extra: Record<string, unknown>): IDToken => ({
  iss: issuer,
  sub: 'f3c1e0aa-1111-4222-8333-944455556666',
  aud: 'meridian',
  iat: now,
  exp: now + 300,
  ...extra,
});

describe('federatedLoginOf', () => {
  it("maps the external subject to a stable user id and the groups to the tenant's roles", () => {
    const alice = claims({
      preferred_username: 'alice',
      name: 'Alice Dispatcher',
      email: 'alice@ext.example',
      groups: ['dispatchers', 'field-ops', 'unmapped'],
    });
    expect(federatedLoginOf(federation, alice)).toEqual({
      ok: true,
      login: {
        tenantId: 'acme',
        userId: federatedUserId('acme', issuer, alice.sub),
        issuer,
        externalSubject: alice.sub,
        username: 'alice',
        displayName: 'Alice Dispatcher',
        email: 'alice@ext.example',
        roles: ['operator', 'dispatcher'],
      },
    });
  });

  it('gives a person no role when none of its groups is mapped and there are no default roles', () => {
    expect(federatedLoginOf(federation, claims({ preferred_username: 'carol' }))).toMatchObject({
      ok: true,
      login: { username: 'carol', roles: [] },
    });
  });

  it('falls back to the given and family names, and leaves out an e-mail that is not one', () => {
    const bob = claims({ preferred_username: 'Bob', given_name: 'Bob', family_name: 'Admin', email: 'n/a' });
    const mapped = federatedLoginOf(
      { ...federation, settings: { ...federation.settings, defaultRoles: ['viewer'] } },
      bob,
    );
    expect(mapped).toMatchObject({ ok: true, login: { username: 'bob', displayName: 'Bob Admin', email: null } });
  });
});

describe('groupsOf', () => {
  it('reads a list of names or a single name, and nothing else', () => {
    expect(groupsOf(claims({ groups: ['a', 3, 'b'] }))).toEqual(['a', 'b']);
    expect(groupsOf(claims({ groups: 'a' }))).toEqual(['a']);
    expect(groupsOf(claims({ groups: { a: true } }))).toEqual([]);
    expect(groupsOf(claims({}))).toEqual([]);
  });
});
