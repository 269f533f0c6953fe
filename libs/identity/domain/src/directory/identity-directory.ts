/**
 * What the OpenID Connect provider needs to know about accounts and clients, answered from
 * identity's read models. The provider (libs/identity/feature-oidc) depends on this port; the read
 * models (libs/identity/data-access) implement it.
 */

/** A person who can log in: a user of one tenant. */
export interface LoginAccount {
  readonly tenantId: string;
  /** The token's `sub`: the user id. */
  readonly subject: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
}

/** A service account as an OAuth client (client credentials). */
export interface ServiceClient {
  readonly tenantId: string;
  readonly clientId: string;
  /** The client secret in clear, opened from its sealed form only for the provider's comparison. */
  readonly secret: string;
  readonly name: string;
  /** The platform administrator's account: acts across tenants through `tenants:admin`. */
  readonly platformAdmin: boolean;
}

/** A user created by logging in at an external identity provider (federation). */
export interface FederatedLogin {
  readonly tenantId: string;
  readonly issuer: string;
  readonly externalSubject: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly groups: readonly string[];
}

export interface IdentityDirectory {
  /** The active user with this username and password in the tenant, or null (wrong password, unknown, disabled). */
  verifyPassword(tenantId: string, username: string, password: string): Promise<LoginAccount | null>;
  /** The active user with this id in the tenant, or null. */
  findAccount(tenantId: string, subject: string): Promise<LoginAccount | null>;
  /** The active service account with this client id, or null. */
  findServiceClient(clientId: string): Promise<ServiceClient | null>;
}

export const IDENTITY_DIRECTORY = Symbol('meridian.identity.directory');
