import { accept, type Decider, type Decision, type DomainEvent, reject } from '@meridian/shared/decider';
import {
  type AdminAccess,
  canonicalRoles,
  type MemberAttributes,
  type PrincipalRole,
  sameValue,
} from '../user/membership';

/** External group name → the Meridian roles it gives in the tenant. */
export type GroupRoles = Readonly<Record<string, readonly PrincipalRole[]>>;

/** How a tenant's people log in at their organisation's own OpenID provider, and what they become here. */
export interface FederationSettings {
  /** The external issuer (its discovery document is at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly clientId: string;
  /** Sealed with SECRETS_KEY: the decider never sees the secret in clear. */
  readonly clientSecret: string;
  readonly groupRoles: GroupRoles;
  /** The roles of a user none of whose groups is mapped; [] refuses such users. */
  readonly defaultRoles: readonly PrincipalRole[];
  /** Given to a federated user when it is created (its first login); an administrator may change them later. */
  readonly attributes: MemberAttributes;
}

/**
 * The sealed client secret stays in the (encrypted-at-rest) domain event, so the settings can be
 * rebuilt from the stream; the integration mapping leaves it out.
 */
export type FederationConfigured = DomainEvent<
  'federation.configured.v1',
  FederationSettings & { readonly tenantId: string; readonly actor: string; readonly configuredAt: string }
>;
export type FederationEvent = FederationConfigured;

export type ConfigureFederation = {
  readonly type: 'ConfigureFederation';
  readonly data: FederationSettings & {
    readonly tenantId: string;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};
export type FederationCommand = ConfigureFederation;

export type FederationState =
  { readonly status: 'none' } | (FederationSettings & { readonly status: 'configured'; readonly tenantId: string });

/** Each group's roles in canonical order, so equal mappings compare equal. */
const canonicalGroupRoles = (groupRoles: GroupRoles): Record<string, PrincipalRole[]> =>
  Object.fromEntries(Object.entries(groupRoles).map(([group, roles]) => [group, canonicalRoles(roles)]));

const settingsOf = (s: FederationSettings): FederationSettings => ({
  issuer: s.issuer,
  clientId: s.clientId,
  clientSecret: s.clientSecret,
  groupRoles: canonicalGroupRoles(s.groupRoles),
  defaultRoles: canonicalRoles(s.defaultRoles),
  attributes: s.attributes,
});

/**
 * Settings replace the previous ones as a whole. The same settings again decide nothing: the
 * handler passes the stored sealed secret when the secret in clear did not change (sealing twice
 * gives two strings), so re-applying a configuration at every start appends no event.
 */
function configure(command: ConfigureFederation, state: FederationState): Decision<FederationEvent> {
  const { tenantId, actor, access, now } = command.data;
  if (!access.allow) return reject(access.code, access.detail);
  const settings = settingsOf(command.data);
  if (state.status === 'configured' && sameValue(settingsOf(state), settings)) return accept();
  return accept({ type: 'federation.configured.v1', data: { tenantId, ...settings, actor, configuredAt: now } });
}

/** One tenant's federation with an external OpenID provider (at most one per tenant). */
export const federationDecider: Decider<FederationCommand, FederationState, FederationEvent> = {
  initialState: { status: 'none' },
  stateVersion: 1,
  decide(command, state) {
    switch (command.type) {
      case 'ConfigureFederation':
        return configure(command, state);
      default: {
        const unknownCommand: never = command.type;
        return unknownCommand;
      }
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'federation.configured.v1': {
        const { tenantId } = event.data;
        return { status: 'configured', tenantId, ...settingsOf(event.data) };
      }
      default: {
        const unknownEvent: never = event.type;
        return unknownEvent;
      }
    }
  },
};

export const federationStreamId = (tenantId: string): string => `federation-${tenantId}`;
