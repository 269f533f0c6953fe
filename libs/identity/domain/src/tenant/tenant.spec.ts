import { describe, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { type TenantCommand, tenantDecider, type TenantEvent, TenantRejections } from './tenant';

const now = '2026-11-28T10:00:00.000Z';
const register: TenantCommand = { type: 'RegisterTenant', data: { tenantId: 'acme', name: 'ACME', now } };
const registered: TenantEvent = {
  type: 'tenant.registered.v1',
  data: { tenantId: 'acme', name: 'ACME', registeredAt: now },
};
const tenant = deciderSpec(tenantDecider);

describe('tenant decider', () => {
  it('registers a new tenant', () => {
    tenant.given([]).when(register).then([registered]);
  });
  it('refuses a second registration of the same tenant', () => {
    tenant
      .given([registered])
      .when(register)
      .thenRejects(TenantRejections.alreadyRegistered, /tenant acme exists/);
  });
});
