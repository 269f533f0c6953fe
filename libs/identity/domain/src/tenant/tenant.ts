import { accept, type Decider, type DomainEvent, reject } from '@meridian/shared/decider';

/** Stable code of the refusal; contracts/identity declares it with its HTTP status. */
export const TenantRejections = { alreadyRegistered: 'TENANT.ALREADY_REGISTERED' } as const;

export type TenantRegistered = DomainEvent<
  'tenant.registered.v1',
  { readonly tenantId: string; readonly name: string; readonly registeredAt: string }
>;
export type TenantEvent = TenantRegistered;

export type RegisterTenant = {
  readonly type: 'RegisterTenant';
  readonly data: { readonly tenantId: string; readonly name: string; readonly now: string };
};
export type TenantCommand = RegisterTenant;

export type TenantState =
  { readonly status: 'none' } | { readonly status: 'active'; readonly tenantId: string; readonly name: string };

/** A tenant (organisation). Users, roles and memberships join it with the identity issue. */
export const tenantDecider: Decider<TenantCommand, TenantState, TenantEvent> = {
  initialState: { status: 'none' },
  stateVersion: 1,
  decide(command, state) {
    switch (command.type) {
      case 'RegisterTenant': {
        if (state.status !== 'none')
          return reject(TenantRejections.alreadyRegistered, `tenant ${command.data.tenantId} exists`);
        const { tenantId, name, now } = command.data;
        return accept({ type: 'tenant.registered.v1', data: { tenantId, name, registeredAt: now } });
      }
      default: {
        const unknownCommand: never = command.type;
        return unknownCommand;
      }
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'tenant.registered.v1':
        return { status: 'active', tenantId: event.data.tenantId, name: event.data.name };
      default: {
        const unknownEvent: never = event.type;
        return unknownEvent;
      }
    }
  },
};

export const tenantStreamId = (tenantId: string): string => `tenant-${tenantId}`;
