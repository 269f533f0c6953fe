import { stableUuid } from './stable-uuid';

/**
 * The Meridian user id of an external identity in a tenant: the same at every login, so no lookup
 * is needed. Identity derives it when a federated user logs in (and re-exports it from
 * @meridian/identity/domain); the gateway derives it from a token of a configured external issuer
 * to find that user's principal. It lives here, not in identity, because both must compute the
 * same id and services never import each other. Changing it would orphan every federated user.
 */
export const federatedUserId = (tenantId: string, issuer: string, externalSubject: string): string =>
  stableUuid(`federated-user:${tenantId}\n${issuer}\n${externalSubject}`);
