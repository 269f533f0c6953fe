import { describe, expect, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { noAttributes, SYSTEM_ACCESS } from '../user/membership';
import {
  type ConfigureFederation,
  federationDecider,
  type FederationEvent,
  type FederationSettings,
  federationStreamId,
} from './federation';

const now = '2026-12-01T09:00:00.000Z';
const settings: FederationSettings = {
  issuer: 'https://idp.acme.example/realms/acme',
  clientId: 'meridian',
  clientSecret: 'v1.sealed-one',
  groupRoles: { dispatchers: ['dispatcher', 'viewer'], 'field-ops': ['operator'] },
  defaultRoles: [],
  attributes: noAttributes,
};
const configure = (s: Partial<FederationSettings> = {}): ConfigureFederation => ({
  type: 'ConfigureFederation',
  data: { ...settings, ...s, tenantId: 'acme', actor: 'admin-1', access: SYSTEM_ACCESS, now },
});
const configured = (s: Partial<FederationSettings> = {}): FederationEvent => ({
  type: 'federation.configured.v1',
  data: {
    tenantId: 'acme',
    ...settings,
    // Roles in canonical order (viewer before dispatcher).
    groupRoles: { dispatchers: ['viewer', 'dispatcher'], 'field-ops': ['operator'] },
    ...s,
    actor: 'admin-1',
    configuredAt: now,
  },
});

const federation = deciderSpec(federationDecider);

describe('federation settings decider', () => {
  it('configures federation for a tenant, with each group role list in canonical order', () => {
    federation.given([]).when(configure()).then([configured()]);
  });

  it('decides nothing when the same settings come again (a restart re-applying its configuration)', () => {
    federation
      .given([configured()])
      .when(configure({ groupRoles: { 'field-ops': ['operator'], dispatchers: ['dispatcher', 'viewer'] } }))
      .then([]);
  });

  it('replaces the settings as a whole when anything changed, the sealed secret included', () => {
    federation
      .given([configured()])
      .when(configure({ defaultRoles: ['viewer'] }))
      .then([configured({ defaultRoles: ['viewer'] })]);
    federation
      .given([configured()])
      .when(configure({ clientSecret: 'v1.sealed-two' }))
      .then([configured({ clientSecret: 'v1.sealed-two' })]);
  });

  it("refuses with the policy's code when the actor may not administer the tenant's identities", () => {
    const refused: ConfigureFederation = {
      ...configure(),
      data: {
        ...configure().data,
        access: { allow: false, code: 'AUTH.FORBIDDEN_ROLE', detail: 'identity:admin needs the admin role' },
      },
    };
    federation
      .given([])
      .when(refused)
      .thenRejects('AUTH.FORBIDDEN_ROLE', /identity:admin/);
  });

  it('keeps one stream per tenant', () => {
    expect(federationStreamId('acme')).toBe('federation-acme');
  });
});
