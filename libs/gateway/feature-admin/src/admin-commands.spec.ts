import { describe, expect, it } from '@jest/globals';
import { Topics } from '@meridian/contracts/core';
import { ProblemException } from '@meridian/gateway/util-http';
import { commandResponse, IDENTITY_COMMAND_TOPIC, idsFor } from './admin-commands';
import { GatewayAdminModule } from './gateway-admin.module';

describe('admin commands', () => {
  it('go to identity’s command topic', () => {
    const providers = Reflect.getMetadata('providers', GatewayAdminModule) as {
      provide?: unknown;
      useValue?: unknown;
    }[];
    expect(providers.find((p) => p.provide === IDENTITY_COMMAND_TOPIC)?.useValue).toBe(Topics.identityCommands);
  });

  it('answer 201 with Location when created, 200 otherwise, 202 while pending', () => {
    const accepted = { outcome: 'accepted' as const, streamId: 's', version: 3 };
    expect(commandResponse(accepted, { id: 'u' }, '/v1/users/u')).toEqual({
      status: 201,
      body: { id: 'u', version: 3 },
      location: '/v1/users/u',
    });
    expect(commandResponse(accepted, { clientId: 'c' })).toEqual({ status: 200, body: { clientId: 'c', version: 3 } });
    expect(commandResponse({ outcome: 'pending', correlationId: 'k' }, { id: 'u' }, '/v1/users/u')).toEqual({
      status: 202,
      body: { id: 'u', status: 'pending', correlationId: 'k' },
    });
  });

  it("turn identity's refusal into the problem of its code", () => {
    const refuse = () =>
      commandResponse({ outcome: 'rejected', code: 'USER.USERNAME_TAKEN', detail: 'taken' }, { id: 'u' });
    expect(refuse).toThrow(ProblemException);
    try {
      refuse();
    } catch (err) {
      expect((err as ProblemException).body()).toMatchObject({
        status: 409,
        code: 'USER.USERNAME_TAKEN',
        detail: 'taken',
      });
    }
  });

  it('derive ids from an Idempotency-Key (per scope and purpose), fresh ones without', () => {
    const keyed = idsFor('acme', 'k-1');
    expect(keyed('user')).toBe(idsFor('acme', 'k-1')('user'));
    expect(new Set([keyed('user'), keyed('user-command'), idsFor('other', 'k-1')('user')]).size).toBe(3);
    const fresh = idsFor('acme', undefined);
    expect(fresh('user')).not.toBe(fresh('user'));
  });
});
