import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@meridian/contracts';
import { fold } from '@meridian/shared/decider';
import { type TenantCommand, tenantDecider, type TenantEvent } from './tenant';

const now = '2026-11-28T10:00:00.000Z';
const register: TenantCommand = { type: 'RegisterTenant', data: { tenantId: 'acme', name: 'ACME', now } };
const registered: TenantEvent = { type: 'tenant.registered.v1', data: { tenantId: 'acme', name: 'ACME', registeredAt: now } };
const when = (given: TenantEvent[], command: TenantCommand) =>
  tenantDecider.decide(command, fold(tenantDecider, tenantDecider.initialState, given));

describe('tenant decider', () => {
  it('registers a new tenant', () => {
    expect(when([], register)).toEqual({ ok: true, events: [registered] });
  });
  it('refuses a second registration of the same tenant', () => {
    expect(when([registered], register)).toMatchObject({ ok: false, code: ErrorCodes.tenantAlreadyRegistered });
  });
});
