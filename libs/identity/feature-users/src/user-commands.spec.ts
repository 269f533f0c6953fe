import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Envelope } from '@meridian/contracts/core';
import { type Principal, UserCreatedV1, UserMembershipChangedV1 } from '@meridian/contracts/identity';
import { federatedUserId, tenantDecider, tenantStreamId, userStreamId } from '@meridian/identity/domain';
import { recordFederatedLogin, verifyPasswordHash } from '@meridian/identity/data-access';
import { handle } from '@meridian/shared/decider';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { openSecret, sealSecret } from '@meridian/shared/util';
import { createUserRoute } from './create-user/create-user.handler';
import { disableUserRoute } from './disable-user/disable-user.handler';
import { federatedLoginRoute } from './federated-login/federated-login.handler';
import { userIntegrationEvent } from './publish-user-events/user-integration-events';
import { setUserMembershipRoute } from './set-user-membership/set-user-membership.handler';
import type { UserDeps } from './user-deps';

const key = randomBytes(32);
const now = new Date('2026-11-30T10:00:00.000Z');
const password = 'a very secret passphrase';

const principal = (p: Partial<Principal> & Pick<Principal, 'tenantId' | 'subject'>): string =>
  JSON.stringify({
    kind: 'service-account',
    roles: ['admin'],
    platformAdmin: false,
    region: null,
    clearance: 4,
    teams: null,
    hours: null,
    ...p,
  });

const request = (type: string, data: unknown, extra: Partial<Envelope> = {}): Envelope => ({
  id: randomUUID(),
  type,
  source: '/meridian/gateway',
  time: now.toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId: 'acme',
  principal: principal({ tenantId: 'acme', subject: 'acme-admin' }),
  ...extra,
});

const createRequest = (userId: string, username: string, extra: Partial<Envelope> = {}, sealed = true): Envelope =>
  request(
    'meridian.identity.user.create.v1',
    {
      userId,
      username,
      displayName: 'Ada Lovelace',
      email: 'ada@example.com',
      ...(sealed ? { password: sealSecret(key, password) } : {}),
      roles: ['viewer'],
    },
    extra,
  );

async function fixture(): Promise<UserDeps & { store: InMemoryEventStore }> {
  const store = new InMemoryEventStore();
  await handle(
    store,
    tenantDecider,
    tenantStreamId('acme'),
    { type: 'RegisterTenant', data: { tenantId: 'acme', name: 'ACME', now: now.toISOString() } },
    { commandId: randomUUID() },
  );
  return { store, secretsKey: key };
}

describe('user commands (in-memory event store)', () => {
  it('creates a user: only the sealed scrypt hash is stored, the actor recorded, the public event clean', async () => {
    const deps = await fixture();
    const userId = randomUUID();
    const reply = await createUserRoute(deps, createRequest(userId, 'ada'), now);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: userStreamId('acme', userId), version: 1 });

    const [created] = await deps.store.readStream(userStreamId('acme', userId));
    expect(JSON.stringify(created)).not.toContain(password);
    expect(created.metadata).toMatchObject({ tenantId: 'acme', actor: 'acme-admin' });
    const data = created.data as { passwordHash: string; actor: string };
    expect(data.actor).toBe('acme-admin');
    const hash = openSecret(key, data.passwordHash);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPasswordHash(password, hash)).toBe(true);

    const published = userIntegrationEvent(created);
    expect(published?.key).toBe(`acme/${userId}`);
    expect(JSON.stringify(published)).not.toContain(data.passwordHash);
    expect(UserCreatedV1.schema.parse(published?.data)).toMatchObject({ username: 'ada', actor: 'acme-admin' });
  });

  it('answers a redelivered create as before, and refuses a second user with the same id or username', async () => {
    const deps = await fixture();
    const userId = randomUUID();
    const first = createRequest(userId, 'ada');
    await createUserRoute(deps, first, now);
    expect((await createUserRoute(deps, first, now)).data).toEqual({
      outcome: 'accepted',
      streamId: userStreamId('acme', userId),
      version: 1,
    });
    expect((await createUserRoute(deps, createRequest(userId, 'bob'), now)).data).toMatchObject({
      outcome: 'rejected',
      code: 'USER.ALREADY_EXISTS',
    });
    expect((await createUserRoute(deps, createRequest(randomUUID(), 'ada'), now)).data).toMatchObject({
      outcome: 'rejected',
      code: 'USER.USERNAME_TAKEN',
    });
    // The name `bob` was not claimed by the refused create: another user gets it.
    expect((await createUserRoute(deps, createRequest(randomUUID(), 'bob'), now)).data).toMatchObject({
      outcome: 'accepted',
    });
  });

  it('refuses a password that does not open or is too short, and an unknown tenant', async () => {
    const deps = await fixture();
    const foreign = { ...createRequest(randomUUID(), 'eve') };
    (foreign.data as { password: string }).password = sealSecret(randomBytes(32), password);
    await expect(createUserRoute(deps, foreign, now)).rejects.toMatchObject({ code: 'IDENTITY.SECRET_INVALID' });
    const short = createRequest(randomUUID(), 'eve');
    (short.data as { password: string }).password = sealSecret(key, 'short');
    await expect(createUserRoute(deps, short, now)).rejects.toMatchObject({ code: 'IDENTITY.SECRET_TOO_WEAK' });
    const elsewhere = createRequest(randomUUID(), 'eve', {
      tenantId: 'nowhere',
      principal: principal({ tenantId: 'nowhere', subject: 'x' }),
    });
    await expect(createUserRoute(deps, elsewhere, now)).rejects.toMatchObject({ code: 'TENANT.UNKNOWN' });
  });

  it('lets an identity admin of the tenant or the platform administrator act, and no one else', async () => {
    const deps = await fixture();
    const viewer = principal({ tenantId: 'acme', subject: 'someone', kind: 'user', roles: ['viewer'] });
    expect(
      (await createUserRoute(deps, createRequest(randomUUID(), 'v1', { principal: viewer }), now)).data,
    ).toMatchObject({ outcome: 'rejected', code: 'AUTH.FORBIDDEN_ROLE' });
    const other = principal({ tenantId: 'other', subject: 'other-admin' });
    await expect(
      createUserRoute(deps, createRequest(randomUUID(), 'v2', { principal: other }), now),
    ).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN_TENANT' });
    const platform = principal({ tenantId: 'platform', subject: 'platform-admin', roles: [], platformAdmin: true });
    const userId = randomUUID();
    expect((await createUserRoute(deps, createRequest(userId, 'v3', { principal: platform }), now)).data).toMatchObject(
      { outcome: 'accepted' },
    );
    const [created] = await deps.store.readStream(userStreamId('acme', userId));
    expect(created.data).toMatchObject({ actor: 'platform-admin' });
    // Without a principal the command is identity's own (bootstrap, federation).
    const system = createRequest(randomUUID(), 'v4', { principal: undefined });
    expect((await createUserRoute(deps, system, now)).data).toMatchObject({ outcome: 'accepted' });
  });

  it('changes a membership (a published permission change) and disables the user', async () => {
    const deps = await fixture();
    const userId = randomUUID();
    await createUserRoute(deps, createRequest(userId, 'ada'), now);
    const attributes = { clearance: 3, teams: ['north'] };
    const set = request('meridian.identity.user.membership.set.v1', { userId, roles: ['dispatcher'], attributes });
    expect((await setUserMembershipRoute(deps, set, now)).data).toMatchObject({ outcome: 'accepted', version: 2 });
    const disable = request('meridian.identity.user.disable.v1', { userId });
    expect((await disableUserRoute(deps, disable, now)).data).toMatchObject({ outcome: 'accepted', version: 3 });
    const events = await deps.store.readStream(userStreamId('acme', userId));
    expect(events.map((e) => e.type)).toEqual(['user.created.v1', 'user.membership-changed.v1', 'user.disabled.v1']);
    const changed = userIntegrationEvent(events[1]);
    expect(UserMembershipChangedV1.schema.parse(changed?.data)).toEqual({
      tenantId: 'acme',
      userId,
      roles: ['dispatcher'],
      attributes: { region: null, clearance: 3, teams: ['north'], hours: null },
      actor: 'acme-admin',
      version: 2,
      changedAt: now.toISOString(),
    });
    const other = request(
      'meridian.identity.user.disable.v1',
      { userId },
      {
        tenantId: 'other',
        principal: principal({ tenantId: 'other', subject: 'other-admin' }),
      },
    );
    expect((await disableUserRoute(deps, other, now)).data).toMatchObject({ code: 'USER.NOT_FOUND' });
  });

  it('creates a federated user at its first login and follows its groups afterwards', async () => {
    const deps = await fixture();
    const userId = randomUUID();
    const login = (roles: string[]): Envelope =>
      request(
        'meridian.identity.user.federated-login.v1',
        {
          userId,
          issuer: 'https://idp.example/realms/acme',
          externalSubject: 'ext-1',
          username: 'grace',
          displayName: 'Grace',
          email: null,
          roles,
        },
        { principal: undefined },
      );
    expect((await federatedLoginRoute(deps, login(['viewer']), now)).data).toMatchObject({ version: 1 });
    expect((await federatedLoginRoute(deps, login(['viewer']), now)).data).toMatchObject({ version: 1 });
    expect((await federatedLoginRoute(deps, login(['approver']), now)).data).toMatchObject({ version: 2 });
    const [created] = await deps.store.readStream(userStreamId('acme', userId));
    expect(created.data).toMatchObject({ passwordHash: null, actor: 'system' });
    // The username is claimed like any other.
    expect((await createUserRoute(deps, createRequest(randomUUID(), 'grace'), now)).data).toMatchObject({
      code: 'USER.USERNAME_TAKEN',
    });
  });

  it("records a federated login in process, as identity's federation does", async () => {
    const deps = await fixture();
    const issuer = 'https://kc.example/realms/acme';
    const userId = federatedUserId('acme', issuer, 'kc-7');
    const login = { tenantId: 'acme', userId, issuer, externalSubject: 'kc-7', username: 'kc-user' };
    const first = await recordFederatedLogin(deps.store, { ...login, displayName: 'K', email: null, roles: [] }, now);
    expect(first.result).toMatchObject({ ok: true, version: 1 });
    const again = await recordFederatedLogin(
      deps.store,
      { ...login, displayName: 'K', email: null, roles: ['viewer'] },
      now,
    );
    expect(again.result).toMatchObject({ ok: true, version: 2 });
    const events = await deps.store.readStream(userStreamId('acme', userId));
    expect(events.map((e) => [e.type, e.metadata.actor])).toEqual([
      ['user.created.v1', 'system'],
      ['user.membership-changed.v1', 'system'],
    ]);
  });
});
