import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@meridian/shared/service-kit';
import { gatewayConfigSchema, settingsOf } from './config';

const KEYCLOAK = 'http://127.0.0.1:18480/realms/acme';

const load = (issuers: unknown) =>
  loadConfig(gatewayConfigSchema, { GATEWAY_EXTERNAL_ISSUERS: JSON.stringify(issuers) });

/** Why the configuration is refused; `issuers` as JSON, or as the raw text when a string. */
const refusal = (issuers: unknown): string => {
  const text = typeof issuers === 'string' ? issuers : JSON.stringify(issuers);
  try {
    loadConfig(gatewayConfigSchema, { GATEWAY_EXTERNAL_ISSUERS: text });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

describe('GATEWAY_EXTERNAL_ISSUERS', () => {
  it('is empty by default: only Meridian tokens are accepted', () => {
    expect(settingsOf(loadConfig(gatewayConfigSchema, {})).auth.externalIssuers).toEqual([]);
  });

  it('becomes the external issuers of the auth settings, `tenant` as tenantId, jwksUri when given', () => {
    const jwksUri = `${KEYCLOAK}/protocol/openid-connect/certs`;
    const settings = settingsOf(
      load([
        { issuer: KEYCLOAK, audience: 'meridian', tenant: 'acme' },
        { issuer: 'https://login.example.com/tenant-7/v2.0', jwksUri, audience: 'api://meridian', tenant: 'beta' },
      ]),
    );
    expect(settings.auth.externalIssuers).toEqual([
      { issuer: KEYCLOAK, audience: 'meridian', tenantId: 'acme' },
      { issuer: 'https://login.example.com/tenant-7/v2.0', jwksUri, audience: 'api://meridian', tenantId: 'beta' },
    ]);
    // Meridian's own issuer and audience are unchanged.
    expect(settings.auth).toMatchObject({ issuer: 'http://127.0.0.1:8090', audience: 'urn:meridian:api' });
  });

  it.each<[string, unknown, RegExp]>([
    ['text that is not JSON', '[{issuer:', /GATEWAY_EXTERNAL_ISSUERS: not JSON/],
    ['an object instead of a list', { issuer: KEYCLOAK, audience: 'meridian', tenant: 'acme' }, /EXTERNAL_ISSUERS/],
    ['an issuer that is not an http(s) URL', [{ issuer: 'ftp://idp', audience: 'm', tenant: 'acme' }], /issuer/],
    ['a jwksUri that is not a URL', [{ issuer: KEYCLOAK, jwksUri: 'certs', audience: 'm', tenant: 'acme' }], /jwksUri/],
    ['no audience', [{ issuer: KEYCLOAK, tenant: 'acme' }], /audience/],
    ['an empty audience', [{ issuer: KEYCLOAK, audience: '', tenant: 'acme' }], /audience/],
    ['no tenant', [{ issuer: KEYCLOAK, audience: 'm' }], /tenant/],
    ['an invalid tenant id', [{ issuer: KEYCLOAK, audience: 'm', tenant: 'Acme Corp' }], /tenant/],
    ['the platform tenant', [{ issuer: KEYCLOAK, audience: 'm', tenant: 'platform' }], /platform tenant/],
    ['an unknown field (a typo)', [{ issuer: KEYCLOAK, audience: 'm', tenant: 'acme', jwks_uri: 'x' }], /jwks_uri/],
    [
      'the same issuer twice',
      [
        { issuer: KEYCLOAK, audience: 'm', tenant: 'acme' },
        { issuer: KEYCLOAK, audience: 'm', tenant: 'beta' },
      ],
      /listed twice/,
    ],
    ['Meridian’s own issuer', [{ issuer: 'http://127.0.0.1:8090', audience: 'm', tenant: 'acme' }], /OIDC_ISSUER/],
  ])('refuses %s', (_case, issuers, expected) => expect(refusal(issuers)).toMatch(expected));
});
