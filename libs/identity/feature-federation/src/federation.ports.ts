import type { Type } from '@nestjs/common';
import type { RequestHandler } from 'express';
import type Provider from 'oidc-provider';
import type { AdminAccess, PrincipalRole } from '@meridian/identity/domain';
import type { CommandContext, StreamOutcome } from '@meridian/identity/data-access';
import type { EventStore } from '@meridian/shared/decider';

/*
 * Federation sits between two other identity features that it may not import (features depend on
 * data-access, domain, utils and contracts only): the OpenID provider's HTTP server
 * (feature-oidc) and the users' federated-login command (feature-users). The app passes them in,
 * and these structural types say what federation uses of them; TypeScript checks the fit there.
 */

/** The login page's "Log in with your organisation" link for a tenant. */
export interface FederationLinkTarget {
  readonly href: string;
  readonly label?: string;
}

/** What federation uses of feature-oidc's `OidcHttpServer`. */
export interface OidcServerPort {
  /** Mounts routes before the interaction pages and the provider (only before the server starts). */
  use(path: string, ...handlers: RequestHandler[]): void;
  /** Which tenants' login pages offer federation, and where the link goes. */
  setFederationLinks(links: (tenantId: string, interactionUid: string) => Promise<FederationLinkTarget | null>): void;
  /** The Provider serving now, for `interactionDetails` / `interactionFinished`; null before the first key. */
  provider(): Provider | null;
}

/** A login at an external provider with its groups already mapped: feature-users' `FederatedUser`. */
export interface FederatedUserLogin {
  readonly tenantId: string;
  readonly userId: string;
  readonly issuer: string;
  readonly externalSubject: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly roles: readonly PrincipalRole[];
}

/**
 * feature-users' `logInFederated`: `meridian.identity.user.federated-login.v1` run in process
 * (creates the user at its first login, then keeps its roles in step with the mapping).
 */
export type LogInFederated = (
  deps: { readonly store: EventStore },
  login: FederatedUserLogin,
  context: CommandContext & { readonly access: AdminAccess },
  now: Date,
) => Promise<StreamOutcome>;

/**
 * The app's wiring: `IdentityFederationModule.forRoot(config, { oidcServer: OidcHttpServer,
 * accountIdOf, logInFederated })` with the first two from @meridian/identity/feature-oidc and the
 * last from @meridian/identity/feature-users.
 */
export interface FederationWiring {
  /** The injection token (class) of feature-oidc's HTTP server, provided by IdentityOidcModule. */
  readonly oidcServer: Type<OidcServerPort>;
  /** feature-oidc's encoding of a tenant's user as the provider's account id. */
  readonly accountIdOf: (tenantId: string, subject: string) => string;
  readonly logInFederated: LogInFederated;
}
