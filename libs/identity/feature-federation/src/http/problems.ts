import { AuthorizationResponseError, ClientError, ResponseBodyError } from 'openid-client';
import type { FederationProblem } from './pages';

const IDP = "Your organisation's identity provider";

/** Every way a federated login can stop, with its status: a page for the person, never a 500. */
export const Problems = {
  invalidLink: (detail: string): FederationProblem => ({
    status: 400,
    title: 'This sign-in link is not valid',
    detail,
  }),
  expired: {
    status: 400,
    title: 'This sign-in is no longer valid',
    detail: 'It was started too long ago, finished already, or started in another browser.',
  },
  notConfigured: (tenantId: string): FederationProblem => ({
    status: 404,
    title: 'No organisation login for this tenant',
    detail: `Tenant ${tenantId} does not offer a login through its organisation's identity provider.`,
  }),
  unavailable: {
    status: 503,
    title: 'Sign-in is not available right now',
    detail: 'Meridian could not complete the sign-in. Try again in a moment.',
  },
  unreachable: { status: 502, title: `${IDP} cannot be reached`, detail: 'Try again in a moment.' },
  refused: (detail: string): FederationProblem => ({ status: 403, title: `${IDP} refused the sign-in`, detail }),
  failed: (detail: string): FederationProblem => ({
    status: 502,
    title: `${IDP} could not complete the sign-in`,
    detail,
  }),
  unverifiable: (detail: string): FederationProblem => ({
    status: 400,
    title: `The answer of ${IDP.toLowerCase()} could not be verified`,
    detail,
  }),
  noRoles: {
    status: 403,
    title: 'No access to Meridian',
    detail:
      'Your organisation account is in no group that gives a role in this tenant, so no Meridian account was ' +
      'created. Ask your administrator for access.',
  },
  refusedAccount: (detail: string): FederationProblem => ({ status: 403, title: 'No access to Meridian', detail }),
  conflict: (detail: string): FederationProblem => ({ status: 409, title: 'Your account cannot be set up', detail }),
} as const;

const describe = (err: Error): string => {
  const cause = err.cause instanceof Error ? err.cause.message : '';
  return cause && cause !== err.message ? `${err.message}: ${cause}` : err.message;
};

/**
 * What openid-client reports while talking to the IdP, as a page: the IdP's error in its
 * authorization response, a refusal at its token endpoint, a response that fails validation
 * (unexpected state, wrong issuer, bad ID token), or a network failure.
 */
export function problemOfIdpError(err: unknown): FederationProblem {
  if (err instanceof AuthorizationResponseError) {
    const text = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
    const transient = err.error === 'server_error' || err.error === 'temporarily_unavailable';
    return transient ? Problems.failed(text) : Problems.refused(text);
  }
  if (err instanceof ResponseBodyError) {
    if (err.error === 'invalid_grant') return Problems.expired;
    const text = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
    return Problems.failed(`its token endpoint answered ${err.status} (${text})`);
  }
  if (err instanceof ClientError) return Problems.unverifiable(describe(err));
  return Problems.unreachable;
}
