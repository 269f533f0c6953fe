/** Where a tenant's users log in at their own identity provider (federation). */
export interface FederationLink {
  /** Absolute, or a path on the provider's server (a router mounted with `OidcHttpServer.use`). */
  readonly href: string;
  /** The link text; "Log in with your organisation" when absent. */
  readonly label?: string;
}

/**
 * Asked by the login page for the tenant the user typed (or `?tenant=` on the interaction URL):
 * a link is shown only when it returns one. The federation feature sets its own with
 * `OidcHttpServer.setFederationLinks`; until then no tenant has federation.
 */
export type FederationLinks = (tenantId: string, interactionUid: string) => Promise<FederationLink | null>;

export const noFederation: FederationLinks = async () => null;
