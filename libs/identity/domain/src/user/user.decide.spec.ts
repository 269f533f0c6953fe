import { describe, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { type AdminAccess, type MemberAttributes, noAttributes, type PrincipalRole, SYSTEM_ACCESS } from './membership';
import type { UserCommand } from './user.commands';
import { userDecider } from './user.decide';
import type { UserEvent } from './user.events';
import { UserRejections } from './user.vocabulary';

const tenantId = 'acme';
const userId = '7d0c2f1e-3b4a-4c5d-8e6f-0a1b2c3d4e5f';
const now = '2026-11-30T10:00:00.000Z';
const later = '2026-11-30T11:00:00.000Z';
const hash = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.c2VhbGVk';
const region: MemberAttributes['region'] = {
  type: 'Polygon',
  coordinates: [
    [
      [2, 48],
      [3, 48],
      [3, 49],
      [2, 48],
    ],
  ],
};
const restricted: MemberAttributes = { region, clearance: 2, teams: ['north'], hours: null };
const allowed: AdminAccess = { allow: true };
const denied: AdminAccess = { allow: false, code: 'AUTH.FORBIDDEN_ROLE', detail: 'identity:admin is not granted' };
const federation = { issuer: 'https://idp.example/realms/acme', subject: 'ext-42' };

const create: UserCommand = {
  type: 'CreateUser',
  data: {
    tenantId,
    userId,
    username: 'ada',
    displayName: 'Ada',
    email: 'ada@example.com',
    passwordHash: hash,
    // Any order in, canonical order out.
    roles: ['operator', 'viewer'],
    attributes: noAttributes,
    actor: 'admin-1',
    access: allowed,
    now,
  },
};
const created: UserEvent = {
  type: 'user.created.v1',
  data: {
    tenantId,
    userId,
    username: 'ada',
    displayName: 'Ada',
    email: 'ada@example.com',
    passwordHash: hash,
    federation: null,
    roles: ['viewer', 'operator'],
    attributes: noAttributes,
    actor: 'admin-1',
    createdAt: now,
  },
};
const setMembership = (
  roles: readonly PrincipalRole[],
  attributes: MemberAttributes,
  tenant = tenantId,
  access: AdminAccess = allowed,
): UserCommand => ({
  type: 'SetUserMembership',
  data: { tenantId: tenant, userId, roles, attributes, actor: 'admin-2', access, now: later },
});
const disable = (tenant = tenantId, access: AdminAccess = allowed): UserCommand => ({
  type: 'DisableUser',
  data: { tenantId: tenant, userId, actor: 'admin-2', access, now: later },
});
const disabled: UserEvent = {
  type: 'user.disabled.v1',
  data: { tenantId, userId, actor: 'admin-2', disabledAt: later },
};
const federatedLogin = (roles: readonly PrincipalRole[], subject = federation.subject): UserCommand => ({
  type: 'LogInFederated',
  data: {
    tenantId,
    userId,
    federation: { ...federation, subject },
    username: 'grace',
    displayName: 'Grace',
    email: null,
    roles,
    actor: 'system',
    access: SYSTEM_ACCESS,
    now,
  },
});
const federatedCreated: UserEvent = {
  type: 'user.created.v1',
  data: {
    tenantId,
    userId,
    username: 'grace',
    displayName: 'Grace',
    email: null,
    passwordHash: null,
    federation,
    roles: ['viewer'],
    attributes: noAttributes,
    actor: 'system',
    createdAt: now,
  },
};

const user = deciderSpec(userDecider);

describe('user decider', () => {
  it('creates a user with its sealed hash, canonical roles and the actor', () => {
    user.given([]).when(create).then([created]);
  });

  it('refuses to create the same user twice', () => {
    user.given([created]).when(create).thenRejects(UserRejections.alreadyExists, userId);
  });

  it('changes roles and attributes, recording who did it', () => {
    user
      .given([created])
      .when(setMembership(['dispatcher', 'viewer'], restricted))
      .then([
        {
          type: 'user.membership-changed.v1',
          data: {
            tenantId,
            userId,
            roles: ['viewer', 'dispatcher'],
            attributes: restricted,
            actor: 'admin-2',
            changedAt: later,
          },
        },
      ]);
  });

  it('treats the same membership (roles in another order, attributes in another key order) as a no-op', () => {
    const reordered = { hours: null, teams: null, clearance: 0, region: null };
    user
      .given([created])
      .when(setMembership(['operator', 'viewer'], reordered))
      .then([]);
  });

  it("refuses with the policy's code when the actor may not administer identities", () => {
    const { data } = create as Extract<UserCommand, { type: 'CreateUser' }>;
    user
      .given([])
      .when({ type: 'CreateUser', data: { ...data, access: denied } })
      .thenRejects('AUTH.FORBIDDEN_ROLE', 'identity:admin');
    user
      .given([created])
      .when(setMembership(['admin'], noAttributes, tenantId, denied))
      .thenRejects('AUTH.FORBIDDEN_ROLE');
    user.given([created]).when(disable(tenantId, denied)).thenRejects('AUTH.FORBIDDEN_ROLE');
    // Not found first: a refusal would tell the user exists.
    user.given([]).when(disable(tenantId, denied)).thenRejects(UserRejections.notFound);
  });

  it('hides unknown users and users of other tenants', () => {
    user
      .given([])
      .when(setMembership(['viewer'], noAttributes))
      .thenRejects(UserRejections.notFound);
    user
      .given([created])
      .when(setMembership(['admin'], noAttributes, 'other'))
      .thenRejects(UserRejections.notFound);
    user.given([created]).when(disable('other')).thenRejects(UserRejections.notFound);
  });

  it('disables a user once; disabling again is a no-op; a disabled user keeps its membership', () => {
    user.given([created]).when(disable()).then([disabled]);
    user.given([created, disabled]).when(disable()).then([]);
    user
      .given([created, disabled])
      .when(setMembership(['admin'], noAttributes))
      .thenRejects(UserRejections.disabled);
  });

  it('creates a federated user at its first login, with the mapped roles and no password', () => {
    user
      .given([])
      .when(federatedLogin(['viewer']))
      .then([federatedCreated]);
  });

  it('keeps a federated user’s roles in step with its groups, and its attributes as set', () => {
    const set: UserEvent = {
      type: 'user.membership-changed.v1',
      data: { tenantId, userId, roles: ['viewer'], attributes: restricted, actor: 'admin-2', changedAt: later },
    };
    user
      .given([federatedCreated])
      .when(federatedLogin(['viewer']))
      .then([]);
    user
      .given([federatedCreated, set])
      .when(federatedLogin(['dispatcher', 'viewer']))
      .then([
        {
          type: 'user.membership-changed.v1',
          data: {
            tenantId,
            userId,
            roles: ['viewer', 'dispatcher'],
            attributes: restricted,
            actor: 'system',
            changedAt: now,
          },
        },
      ]);
  });

  it('refuses a federated login for a disabled user, a local user or another external identity', () => {
    const federatedDisabled: UserEvent = {
      type: 'user.disabled.v1',
      data: { tenantId, userId, actor: 'admin-2', disabledAt: later },
    };
    user
      .given([federatedCreated, federatedDisabled])
      .when(federatedLogin(['viewer']))
      .thenRejects(UserRejections.disabled);
    user
      .given([created])
      .when(federatedLogin(['viewer']))
      .thenRejects(UserRejections.alreadyExists);
    user
      .given([federatedCreated])
      .when(federatedLogin(['viewer'], 'someone-else'))
      .thenRejects(UserRejections.alreadyExists);
  });
});
