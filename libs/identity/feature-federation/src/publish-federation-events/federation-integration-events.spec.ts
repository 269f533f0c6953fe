import { describe, expect, it } from '@jest/globals';
import { FederationConfiguredV1 } from '@meridian/contracts/identity';
import { noAttributes } from '@meridian/identity/domain';
import type { RecordedEvent } from '@meridian/shared/decider';
import { federationIntegrationEvent } from './federation-integration-events';

const recorded = (type: string, data: unknown): RecordedEvent => ({
  globalPosition: '7',
  transactionId: '1',
  streamId: 'federation-acme',
  streamVersion: 3,
  id: '9b7d4c8e-0000-4000-8000-000000000001',
  type,
  schemaVersion: 1,
  data,
  metadata: { tenantId: 'acme', actor: 'admin-1' },
  recordedAt: new Date('2026-12-01T09:00:00Z'),
});

describe('federationIntegrationEvent', () => {
  it('publishes the settings without the sealed client secret, valid against the contract', () => {
    const message = federationIntegrationEvent(
      recorded('federation.configured.v1', {
        tenantId: 'acme',
        issuer: 'https://idp.acme.example/realms/acme',
        clientId: 'meridian',
        clientSecret: 'v1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.sealed',
        groupRoles: { dispatchers: ['dispatcher'] },
        defaultRoles: [],
        attributes: noAttributes,
        actor: 'admin-1',
        configuredAt: '2026-12-01T09:00:00.000Z',
      }),
    );
    expect(message).toMatchObject({ key: 'acme', type: FederationConfiguredV1.type, subject: 'acme' });
    expect(FederationConfiguredV1.schema.parse(message?.data)).toMatchObject({ version: 3, clientId: 'meridian' });
    expect(JSON.stringify(message)).not.toMatch(/sealed|clientSecret/);
  });

  it("leaves other identity events to their own features' mappers", () => {
    expect(federationIntegrationEvent(recorded('user.created.v1', {}))).toBeNull();
  });
});
