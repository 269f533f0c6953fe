import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Envelope } from '@meridian/contracts/core';
import { ServiceAccountCreatedV1 } from '@meridian/contracts/identity';
import { serviceAccountStreamId, tenantDecider, tenantStreamId } from '@meridian/identity/domain';
import { handle } from '@meridian/shared/decider';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { openSecret, sealSecret } from '@meridian/shared/util';
import { createServiceAccountRoute } from './create-service-account/create-service-account.handler';
import { disableServiceAccountRoute } from './disable-service-account/disable-service-account.handler';
import { serviceAccountIntegrationEvent } from './publish-service-account-events/service-account-integration-events';
import { setServiceAccountMembershipRoute } from './set-service-account-membership/set-membership.handler';
import type { ServiceAccountDeps } from './service-account-deps';

const key = randomBytes(32);
const now = new Date('2026-11-30T10:00:00.000Z');
const secret = 'client-secret-of-sufficient-length';
const admin = JSON.stringify({
  tenantId: 'acme',
  subject: 'acme-admin',
  kind: 'service-account',
  roles: ['admin'],
  platformAdmin: false,
  region: null,
  clearance: 4,
  teams: null,
  hours: null,
});

const request = (type: string, data: unknown, tenantId = 'acme'): Envelope => ({
  id: randomUUID(),
  type,
  source: '/meridian/gateway',
  time: now.toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  ...(tenantId === 'acme' ? { principal: admin } : {}),
});

async function fixture(): Promise<ServiceAccountDeps & { store: InMemoryEventStore }> {
  const store = new InMemoryEventStore();
  for (const tenantId of ['acme', 'other']) {
    await handle(
      store,
      tenantDecider,
      tenantStreamId(tenantId),
      { type: 'RegisterTenant', data: { tenantId, name: tenantId, now: now.toISOString() } },
      { commandId: randomUUID() },
    );
  }
  return { store, secretsKey: key };
}

describe('service-account commands (in-memory event store)', () => {
  it('creates an account with its secret sealed afresh; the public event carries no secret', async () => {
    const deps = await fixture();
    const sealed = sealSecret(key, secret);
    const create = request('meridian.identity.service-account.create.v1', {
      clientId: 'acme-ingest',
      name: 'Ingest',
      secret: sealed,
      roles: ['operator'],
    });
    expect((await createServiceAccountRoute(deps, create, now)).data).toEqual({
      outcome: 'accepted',
      streamId: serviceAccountStreamId('acme-ingest'),
      version: 1,
    });
    const [created] = await deps.store.readStream(serviceAccountStreamId('acme-ingest'));
    const stored = (created.data as { secret: string }).secret;
    expect(stored).not.toBe(sealed);
    expect(JSON.stringify(created)).not.toContain(secret);
    expect(openSecret(key, stored)).toBe(secret);
    const published = serviceAccountIntegrationEvent(created);
    expect(JSON.stringify(published)).not.toContain(stored);
    expect(ServiceAccountCreatedV1.schema.parse(published?.data)).toMatchObject({
      clientId: 'acme-ingest',
      platformAdmin: false,
      actor: 'acme-admin',
      version: 1,
    });
  });

  it('refuses a client id taken in another tenant, a weak or foreign secret', async () => {
    const deps = await fixture();
    const create = (clientId: string, sealed: string, tenantId = 'acme'): Envelope =>
      request(
        'meridian.identity.service-account.create.v1',
        { clientId, name: 'X', secret: sealed, roles: [] },
        tenantId,
      );
    await createServiceAccountRoute(deps, create('shared-id', sealSecret(key, secret)), now);
    expect(
      (await createServiceAccountRoute(deps, create('shared-id', sealSecret(key, secret), 'other'), now)).data,
    ).toMatchObject({ code: 'SERVICE_ACCOUNT.ALREADY_EXISTS' });
    await expect(
      createServiceAccountRoute(deps, create('weak-one', sealSecret(key, 'only-15-chars!!')), now),
    ).rejects.toMatchObject({ code: 'IDENTITY.SECRET_TOO_WEAK' });
    await expect(
      createServiceAccountRoute(deps, create('foreign', sealSecret(randomBytes(32), secret)), now),
    ).rejects.toMatchObject({ code: 'IDENTITY.SECRET_INVALID' });
  });

  it("changes a membership and disables; another tenant's commands do not find the account", async () => {
    const deps = await fixture();
    await createServiceAccountRoute(
      deps,
      request('meridian.identity.service-account.create.v1', {
        clientId: 'acme-bot',
        name: 'Bot',
        secret: sealSecret(key, secret),
        roles: ['viewer'],
      }),
      now,
    );
    const set = (tenantId: string): Envelope =>
      request(
        'meridian.identity.service-account.membership.set.v1',
        { clientId: 'acme-bot', roles: ['operator'], attributes: { clearance: 2 } },
        tenantId,
      );
    expect((await setServiceAccountMembershipRoute(deps, set('other'), now)).data).toMatchObject({
      code: 'SERVICE_ACCOUNT.NOT_FOUND',
    });
    expect((await setServiceAccountMembershipRoute(deps, set('acme'), now)).data).toMatchObject({ version: 2 });
    const disable = request('meridian.identity.service-account.disable.v1', { clientId: 'acme-bot' });
    expect((await disableServiceAccountRoute(deps, disable, now)).data).toMatchObject({ version: 3 });
    expect((await setServiceAccountMembershipRoute(deps, set('acme'), now)).data).toMatchObject({
      code: 'SERVICE_ACCOUNT.DISABLED',
    });
  });
});
