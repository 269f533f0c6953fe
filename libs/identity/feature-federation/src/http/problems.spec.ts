import { describe, expect, it } from '@jest/globals';
import { AuthorizationResponseError, ClientError, ResponseBodyError } from 'openid-client';
import { problemOfIdpError, Problems } from './problems';

const authorizationError = (error: string, description?: string) =>
  new AuthorizationResponseError('authorization response error', {
    cause: new URLSearchParams({ error, ...(description ? { error_description: description } : {}) }),
  });

const tokenError = (status: number, error: string) =>
  new ResponseBodyError('server responded with an error', {
    cause: { error, error_description: 'from the token endpoint' },
    response: new Response(null, { status }),
  });

describe('problemOfIdpError', () => {
  it("shows the IdP's own refusal, and calls its transient failures a failure of the IdP", () => {
    expect(problemOfIdpError(authorizationError('login_required', 'Log in first'))).toEqual(
      Problems.refused('login_required: Log in first'),
    );
    expect(problemOfIdpError(authorizationError('temporarily_unavailable')).status).toBe(502);
  });

  it('treats a used or expired code as an expired sign-in, other token endpoint errors as the IdP failing', () => {
    expect(problemOfIdpError(tokenError(400, 'invalid_grant'))).toBe(Problems.expired);
    const invalidClient = problemOfIdpError(tokenError(401, 'invalid_client'));
    expect(invalidClient.status).toBe(502);
    expect(invalidClient.detail).toContain('401 (invalid_client: from the token endpoint)');
  });

  it('reports an answer that fails validation as unverifiable (400), with the reason', () => {
    const err = new ClientError('invalid response encountered', {
      cause: new Error('unexpected "state" response parameter encountered'),
    });
    expect(problemOfIdpError(err)).toEqual(
      Problems.unverifiable('invalid response encountered: unexpected "state" response parameter encountered'),
    );
  });

  it('treats anything else (a network failure) as the IdP being unreachable, never as a server error', () => {
    expect(problemOfIdpError(new TypeError('fetch failed'))).toBe(Problems.unreachable);
    expect(problemOfIdpError(undefined).status).toBe(502);
  });
});
