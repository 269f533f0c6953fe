import { describe, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { type AdminAccess, type MemberAttributes, noAttributes } from '../user/membership';
import {
  type ServiceAccountCommand,
  serviceAccountDecider,
  type ServiceAccountEvent,
  ServiceAccountRejections,
} from './service-account';

const tenantId = 'acme';
const clientId = 'acme-ingest';
const now = '2026-11-30T10:00:00.000Z';
const later = '2026-11-30T11:00:00.000Z';
const secret = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.c2VjcmV0';
const teams: MemberAttributes = { region: null, clearance: 1, teams: ['ops'], hours: { fromMinute: 0, toMinute: 600 } };

const allowed: AdminAccess = { allow: true };
const denied: AdminAccess = { allow: false, code: 'AUTH.OUTSIDE_HOURS', detail: 'outside the allowed hours' };

const create = (tenant = tenantId, access: AdminAccess = allowed): ServiceAccountCommand => ({
  type: 'CreateServiceAccount',
  data: {
    tenantId: tenant,
    clientId,
    name: 'Ingest',
    secret,
    roles: ['operator'],
    attributes: noAttributes,
    platformAdmin: false,
    actor: 'admin-1',
    access,
    now,
  },
});
const created: ServiceAccountEvent = {
  type: 'service-account.created.v1',
  data: {
    tenantId,
    clientId,
    name: 'Ingest',
    secret,
    roles: ['operator'],
    attributes: noAttributes,
    platformAdmin: false,
    actor: 'admin-1',
    createdAt: now,
  },
};
const setMembership = (
  attributes: MemberAttributes,
  tenant = tenantId,
  access: AdminAccess = allowed,
): ServiceAccountCommand => ({
  type: 'SetServiceAccountMembership',
  data: { tenantId: tenant, clientId, roles: ['admin', 'viewer'], attributes, actor: 'admin-2', access, now: later },
});
const disable = (tenant = tenantId, access: AdminAccess = allowed): ServiceAccountCommand => ({
  type: 'DisableServiceAccount',
  data: { tenantId: tenant, clientId, actor: 'admin-2', access, now: later },
});
const disabled: ServiceAccountEvent = {
  type: 'service-account.disabled.v1',
  data: { tenantId, clientId, actor: 'admin-2', disabledAt: later },
};

const account = deciderSpec(serviceAccountDecider);

describe('service account decider', () => {
  it('creates a service account with its sealed secret', () => {
    account.given([]).when(create()).then([created]);
  });

  it('refuses a client id that exists, in this tenant or in another (client ids are global)', () => {
    account.given([created]).when(create()).thenRejects(ServiceAccountRejections.alreadyExists);
    account.given([created]).when(create('other')).thenRejects(ServiceAccountRejections.alreadyExists);
  });

  it('replaces roles and attributes (canonical role order); the same membership again is a no-op', () => {
    const changed: ServiceAccountEvent = {
      type: 'service-account.membership-changed.v1',
      data: { tenantId, clientId, roles: ['viewer', 'admin'], attributes: teams, actor: 'admin-2', changedAt: later },
    };
    account.given([created]).when(setMembership(teams)).then([changed]);
    account.given([created, changed]).when(setMembership(teams)).then([]);
  });

  it("refuses with the policy's code when the actor may not administer identities", () => {
    account.given([]).when(create(tenantId, denied)).thenRejects('AUTH.OUTSIDE_HOURS');
    account
      .given([created])
      .when(setMembership(teams, tenantId, denied))
      .thenRejects('AUTH.OUTSIDE_HOURS');
    account.given([created]).when(disable(tenantId, denied)).thenRejects('AUTH.OUTSIDE_HOURS');
    account.given([]).when(disable(tenantId, denied)).thenRejects(ServiceAccountRejections.notFound);
  });

  it('hides unknown accounts and accounts of other tenants', () => {
    account.given([]).when(setMembership(teams)).thenRejects(ServiceAccountRejections.notFound);
    account.given([created]).when(setMembership(teams, 'other')).thenRejects(ServiceAccountRejections.notFound);
    account.given([created]).when(disable('other')).thenRejects(ServiceAccountRejections.notFound);
  });

  it('disables once, then refuses membership changes', () => {
    account.given([created]).when(disable()).then([disabled]);
    account.given([created, disabled]).when(disable()).then([]);
    account.given([created, disabled]).when(setMembership(teams)).thenRejects(ServiceAccountRejections.disabled);
  });
});
